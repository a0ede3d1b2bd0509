import type { Duplex } from 'node:stream';

/**
 * Read from `socket` until `parse` returns a value, then hand the socket back paused with every
 * byte after the parsed part pushed back (`unshift`), so nothing that arrived with the reply is
 * lost. `parse` gets everything received so far and returns undefined for "need more", or
 * `[value, consumed]`; it enforces its own size cap by throwing. Ending, closing or failing
 * before a value rejects with `onEnd()`/the socket error. The caller bounds the time (it destroys
 * the socket, which rejects here).
 */
export function readReply<T>(
  socket: Duplex,
  parse: (received: Buffer) => [T, number] | undefined,
  onEnd: (received: Buffer) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      let result: [T, number] | undefined;
      try {
        result = parse(received);
      } catch (error) {
        cleanup();
        socket.destroy();
        reject(error);
        return;
      }
      if (result === undefined) return;
      cleanup();
      socket.pause();
      const rest = received.subarray(result[1]);
      if (rest.length > 0) socket.unshift(rest);
      resolve(result[0]);
    };
    const onClose = () => {
      cleanup();
      socket.destroy();
      reject(onEnd(received));
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    socket.on('data', onData);
    socket.once('end', onClose);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.resume();
  });
}
