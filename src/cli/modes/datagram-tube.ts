import { Duplex } from 'node:stream';
import type { Network } from '../../errors.js';
import { Tube } from '../../tube/tube.js';
import { type DatagramPeer, toDatagrams } from './udp-session.js';

/**
 * One datagram peer as a Tube, for the exec io (`-u -e`, `-u -c`, `-u --js-exec`, as ncat runs a
 * child per UDP peer): what the child writes is sent as datagrams (each write one datagram, split
 * at the peer's maximum), each datagram received is one chunk for the child. A datagram peer has
 * no end of stream: the session ends when the child's output ends (it exits), or when the peer
 * refuses (ICMP port unreachable).
 */
export function datagramTube(peer: DatagramPeer, network: Network): Tube {
  const datagrams = peer[Symbol.asyncIterator]();
  let reading = false;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stream.push(null);
  };
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {
      if (reading) return;
      reading = true;
      datagrams.next().then(
        (next) => {
          reading = false;
          if (ended) return;
          if (next.done) end();
          else if (stream.push(next.value)) stream.read(0);
        },
        (error: unknown) => {
          reading = false;
          if (!ended) stream.destroy(error as Error);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      const pieces = toDatagrams(chunk, peer.maxDatagram);
      pieces
        .reduce((sent, piece) => sent.then(() => peer.send(piece)), Promise.resolve())
        .then(() => callback(), callback);
    },
    final(callback) {
      // Nothing to send for the end, and no end of stream will come from the peer: the session
      // is over once the child's output has ended (a graceful close has no FIN to wait for).
      callback();
      end();
    },
    destroy(error, callback) {
      Promise.resolve(peer.close()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  return new Tube(stream, {
    network,
    ...(peer.local ? { local: peer.local } : {}),
    ...(peer.remote ? { remote: peer.remote } : {}),
  });
}
