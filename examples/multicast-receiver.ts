// Join a multicast group on the interface with address IFACE and print COUNT datagrams.
//
// node dist/examples/multicast-receiver.js GROUP PORT IFACE [COUNT]
import { createSocket } from 'node:dgram';
import { applyDatagramOptions } from 'sockcat';

const [group, port, iface, count = '3'] = process.argv.slice(2);
if (group === undefined || port === undefined || iface === undefined) {
  console.error('usage: multicast-receiver GROUP PORT IFACE [COUNT]');
  process.exit(2);
}
const socket = createSocket({ type: 'udp4', reuseAddr: true });
let received = 0;
socket.on('message', (data, from) => {
  console.log(`${from.address}:${from.port} ${data.toString()}`);
  if (++received === Number(count)) socket.close();
});
// Bound to the port on every address: a socket bound to the interface address would not see
// datagrams sent to the group.
socket.bind(Number(port), () => {
  applyDatagramOptions(socket, { multicast: { join: [group], interface: iface } });
  console.log(`joined ${group} on ${iface}, port ${port}`);
});
