import { Duplex } from 'node:stream';
import { EOFError } from '../errors.js';
import type { MessageSocket } from './message-socket.js';

/**
 * A connected MessageSocket (seqpacket) as a Duplex stream, so that a Tube and every relay can
 * use it: each write() is sent as one message, each message received is pushed as one chunk,
 * end() shuts down the sending side (the peer sees the end of the stream), and the peer's end
 * of stream ends the readable side.
 */
export function messageSocketStream(socket: MessageSocket): Duplex {
  let reading = false;
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {
      if (reading) return;
      reading = true;
      socket.receive().then(
        (message) => {
          reading = false;
          if (stream.push(message.data)) stream.read(0);
        },
        (error: unknown) => {
          reading = false;
          if (error instanceof EOFError) stream.push(null);
          else stream.destroy(error as Error);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.send(chunk).then(() => callback(), callback);
    },
    final(callback) {
      try {
        socket.shutdown();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    destroy(error, callback) {
      socket.close();
      callback(error);
    },
  });
  return stream;
}
