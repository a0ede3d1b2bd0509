import type { Writable } from 'node:stream';

/**
 * Wait until a full stream drains. Settles on 'close' too (and on 'error' unless the owner
 * already handles errors), so that a dead stream cannot hang the writer; `closedError` says why.
 */
export function whenDrained(
  stream: Writable,
  closedError: () => Error,
  rejectOnError = true,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      if (rejectOnError) stream.off('error', onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(closedError());
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    if (rejectOnError) stream.on('error', onError);
  });
}
