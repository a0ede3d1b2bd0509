import { Duplex } from 'node:stream';

/**
 * A Duplex standing in for `stream` after its readable side has already ended (its 'end' event
 * was seen by the tube): it reads `rest` and then end of file, and writes go on to `stream`.
 * A stream that has emitted 'end' cannot take bytes back (`unshift` after 'end' fails), so a
 * peer that sent its last bytes and its FIN together (`printf 'CONNECT ...\r\n\r\nabc' | nc`)
 * would otherwise lose them at the hand-off.
 */
export function endedStream(stream: Duplex, rest: Buffer): Duplex {
  const wrapper = new Duplex({
    allowHalfOpen: true,
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      stream.write(chunk, (error) => callback(error ?? null));
    },
    final(callback) {
      stream.end(() => callback());
    },
    destroy(error, callback) {
      stream.off('error', onError);
      stream.off('close', onClose);
      stream.destroy();
      callback(error);
    },
  });
  const onError = (error: Error) => wrapper.destroy(error);
  // Closed under us before our side finished writing: nothing more can be delivered.
  const onClose = () => {
    if (!wrapper.writableEnded) wrapper.destroy();
  };
  stream.on('error', onError);
  stream.on('close', onClose);
  if (rest.length > 0) wrapper.push(rest);
  wrapper.push(null);
  return wrapper;
}
