import type { Readable, Writable } from 'node:stream';
import { whenDrained } from '../tube/drain.js';

/**
 * Write one chunk with backpressure: resolves at once while the stream has room, otherwise on
 * 'drain'. Also settles on 'close' and 'error', so that a dead stream cannot hang the writer.
 */
export function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    return Promise.reject(streamClosedError(stream));
  }
  if (stream.write(chunk)) return Promise.resolve();
  return whenDrained(stream, () => streamClosedError(stream));
}

/** A write failed because the reader went away (stdout closed: `sockcat … | head -c1`). */
export function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
  );
}

function streamClosedError(stream: Writable): Error {
  const error =
    stream.errored ?? Object.assign(new Error('write after the stream closed'), { code: 'EPIPE' });
  return error;
}

export interface Pump {
  /** Resolves when the source ends; rejects with the source's error or the first write failure. */
  readonly done: Promise<void>;
  /** Stop reading (the source is paused and left open). */
  stop(): void;
}

/**
 * Feed every chunk of `source` to `write`, pausing the source while a write waits (backpressure).
 * Unlike `for await`, stopping does not destroy the source: process.stdin can be left alone.
 */
export function pump(source: Readable, write: (chunk: Buffer) => Promise<void>): Pump {
  let stopped = false;
  let settle: { resolve(): void; reject(error: Error): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const cleanup = () => {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
  };
  const finish = (error?: Error) => {
    if (stopped) return;
    stopped = true;
    cleanup();
    if (error) settle!.reject(error);
    else settle!.resolve();
  };
  // The write in progress: the source may report its end while the last chunk is still being
  // written (a paused stream still emits 'end'), and done must not resolve before that write.
  let writing: Promise<void> = Promise.resolve();
  const onData = (chunk: Buffer | string) => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    source.pause();
    writing = write(buffer).then(
      () => {
        if (!stopped) source.resume();
      },
      (error: Error) => finish(error),
    );
  };
  const onEnd = () => {
    writing.then(() => finish());
  };
  const onError = (error: Error) => finish(error);
  source.on('data', onData);
  source.once('end', onEnd);
  source.once('error', onError);
  source.resume();
  return {
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      cleanup();
      source.pause();
      settle!.resolve();
    },
  };
}
