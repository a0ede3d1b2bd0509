import type { Duplex } from 'node:stream';

/** What a net.Socket keeps of its libuv handle (Node internals, stable since Node 0.x). */
interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
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
