// Two Unix datagram sockets talking: each message arrives whole, with its sender's address, and
// the answer goes back to that address. Linux abstract names: no files to clean up.
//
// node dist/examples/unix-datagram-pair.js [ROUNDS]
import { openUnixDatagram } from 'sockcat';

const rounds = Number(process.argv[2] ?? 3);
const left = await openUnixDatagram({ path: `@sockcat-left-${process.pid}` });
const right = await openUnixDatagram({ path: `@sockcat-right-${process.pid}` });
try {
  for (let round = 1; round <= rounds; round++) {
    await left.send(`ping ${round}`, right.local);
    const ping = await right.receive();
    console.log(
      `right got ${JSON.stringify(ping.data.toString())} from ${JSON.stringify(ping.from)}`,
    );
    await right.send(`pong ${round}`, ping.from);
    const pong = await left.receive();
    console.log(`left got ${JSON.stringify(pong.data.toString())}`);
  }
} finally {
  left.close();
  right.close();
}
