import type { Duplex } from 'node:stream';

/** What a net.Socket keeps of its libuv handle (Node internals, stable since Node 0.x). */
interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

/**
 * The file descriptor of a plain net.Socket (TCP or Unix stream), or undefined for anything whose
 * bytes must pass through JavaScript: TLS, other streams, a socket with bytes still queued either
 * way in the stream. With `takesHeld`, bytes the stream has read but not emitted (pushed back by
 * a proxy handshake) do not rule it out: the caller takes them out with stopReading() and read().
 */
export function plainSocketFd(stream: Duplex, takesHeld = false): number | undefined {
  const socket = stream as Duplex & { _handle?: StreamHandle | null; encrypted?: boolean };
  const handle = socket._handle;
  const fd = handle?.fd;
  if (socket.encrypted || typeof fd !== 'number' || fd < 0) return undefined;
  if (typeof handle?.readStop !== 'function') return undefined;
  if (stream.writableLength > 0 || (!takesHeld && stream.readableLength > 0)) return undefined;
  return fd;
}

/**
 * Stop the stream reading its descriptor for good, so that a native copy can: the stream is
 * paused and its handle stopped. net.Socket restarts reading whenever its Readable side wants data
 * and `reading` is false; left true, the handle stays stopped (as net.js does while paused with
 * `onread`). Writing, end() and destroy() still work through the stream.
 */
export function stopReading(stream: Duplex): void {
  const handle = (stream as Duplex & { _handle?: StreamHandle | null })._handle;
  stream.pause();
  handle?.readStop?.();
  if (handle) handle.reading = true;
}

/**
 * Undo stopReading(): the stream reads its descriptor again (no native copy may be using it).
 * The handle is started here, as net.js's tryReadStart does: the Readable may still count a read
 * in progress from before the stop, and would then never ask the handle again.
 */
export function resumeReading(stream: Duplex): void {
  const handle = (stream as Duplex & { _handle?: StreamHandle | null })._handle;
  if (handle && typeof handle.readStart === 'function') {
    handle.reading = true;
    handle.readStart();
  }
  stream.resume();
}

/** Stop the stream reading and take out what it had already read (unshifted by a handshake). */
export function takeHeld(stream: Duplex): Buffer {
  stopReading(stream);
  const chunks: Buffer[] = [];
  for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read()) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Write `held` through the stream and wait until the system has it all. */
export function flushThen(stream: Duplex, held: Buffer): Promise<void> {
  if (held.length > 0) stream.write(held);
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      stream.off('close', closed);
      resolve();
    };
    const closed = () => {
      stream.off('drain', done);
      reject(new Error('closed'));
    };
    stream.once('drain', done);
    stream.once('close', closed);
  });
}
