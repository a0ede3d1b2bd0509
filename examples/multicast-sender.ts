// Send COUNT numbered datagrams to a multicast group, from the interface with address IFACE.
//
// node dist/examples/multicast-sender.js GROUP PORT IFACE [COUNT] [TTL]
import { createSocket } from 'node:dgram';
import { applyDatagramOptions } from 'sockcat';

const [group, port, iface, count = '3', ttl = '1'] = process.argv.slice(2);
if (group === undefined || port === undefined || iface === undefined) {
  console.error('usage: multicast-sender GROUP PORT IFACE [COUNT] [TTL]');
  process.exit(2);
}
const socket = createSocket('udp4');
socket.bind(0, iface, async () => {
  applyDatagramOptions(socket, {
    multicast: { interface: iface, ttl: Number(ttl), loopback: false },
  });
  for (let index = 1; index <= Number(count); index++) {
    await new Promise<void>((resolve, reject) =>
      socket.send(`message ${index}`, Number(port), group, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  console.log(`sent ${count} datagrams to ${group}:${port}`);
  socket.close();
});
