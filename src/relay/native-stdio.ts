import { closeSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { copyFd, type FdCopy, type FdCopyError, nativeCopyUnavailable } from '../native/copy.js';
import type { Tube } from '../tube/tube.js';
import { writeChunk } from './stream-io.js';

/** What the native path reads of relayStdio's options (StdioRelayOptions has them all). */
export interface NativeStdioOptions {
  stdout: Writable;
  fds?: { stdin: number; stdout: number } | undefined;
  meter?: { sent(bytes: number): void; received(bytes: number): void } | undefined;
  onDataPath?: ((path: string) => void) | undefined;
  transformSend?: unknown;
  transformReceive?: unknown;
  sendDelay?: number | undefined;
  lineInterval?: number | undefined;
  onSend?: unknown;
  onReceive?: unknown;
}

/**
 * The native data path of relayStdio: stdin → socket and socket → stdout as two copies in the
 * addon (relay/native-copy.ts). relayStdio keeps the end-of-file rules; this moves the bytes.
 */
export interface NativeStdio {
  /** stdin → socket until stdin's EOF; rejects with the failure (a reset as the tube words it). */
  send(): Promise<void>;
  /** What the tube had buffered, then socket → stdout until the peer's EOF. */
  receive(): Promise<void>;
  /** --send-only: what the peer sends is read and dropped (so that closing sends FIN, not RST). */
  discard(): void;
  /**
   * Sample the counters every `intervalMs`: `onActivity` when bytes moved either way, `meter`
   * with what moved since the last sample (and once more at stop()).
   */
  watch(onActivity: () => void, meter: NativeStdioOptions['meter'], intervalMs: number): void;
  /** Stop every copy; resolves once no thread uses the descriptors any more. */
  stop(): Promise<void>;
  sent(): number;
  received(): number;
}

/** Taps see every byte: with any of them the relay stays in JavaScript. */
const TAPS = [
  ['transformSend', '-C'],
  ['transformReceive', '-t'],
  ['sendDelay', '-d'],
  ['lineInterval', '-i'],
  ['onSend', 'a session log'],
  ['onReceive', 'a session log'],
] as const;

/** Why the JavaScript path is taken, or undefined when the native one can be. */
function blocker(tube: Tube, options: NativeStdioOptions): string | undefined {
  if (!options.fds) return 'no file descriptors for stdin and stdout';
  for (const [option, name] of TAPS) if (options[option]) return `${name} sees the bytes`;
  if (tube.tls) return 'TLS';
  return nativeCopyUnavailable();
}

/**
 * The native relay for this tube and these options, or undefined (the JavaScript path, reported
 * to onDataPath with the reason) when a tap, TLS, a missing addon or the tube's state rules it out.
 */
export function startNativeStdio(tube: Tube, options: NativeStdioOptions): NativeStdio | undefined {
  const why = blocker(tube, options);
  const detached = why === undefined ? tube.detachFd() : undefined;
  if (!detached || !options.fds) {
    options.onDataPath?.(`JavaScript (${why ?? 'the connection is not a plain socket'})`);
    return undefined;
  }
  const fds = options.fds;
  const { fd, buffered, eof } = detached;
  const copies: FdCopy[] = [];
  let sendCopy: FdCopy | undefined;
  let receiveCopy: FdCopy | undefined;
  let bufferedWritten = 0;
  let sink: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sample: (() => void) | undefined;
  let stopped = false;
  const start = (src: number, dst: number, label?: string): FdCopy => {
    const copy = copyFd(src, dst);
    copies.push(copy);
    if (label) options.onDataPath?.(`native: ${label} by ${copy.mechanism}`);
    return copy;
  };
  const relay: NativeStdio = {
    async send() {
      if (stopped) return;
      sendCopy = start(fds.stdin, fd, 'stdin to socket');
      await sendCopy.done.catch((error: FdCopyError) => {
        throw error.failed === 'write' ? tube.failure(error, 'write') : error;
      });
    },
    async receive() {
      if (buffered.length > 0) {
        await writeChunk(options.stdout, buffered);
        bufferedWritten = buffered.length;
      }
      if (eof || stopped) return;
      // Bytes the stream still holds go first: the thread writes to the descriptor directly.
      await flushed(options.stdout);
      if (stopped) return;
      receiveCopy = start(fd, fds.stdout, 'socket to stdout');
      await receiveCopy.done.catch((error: FdCopyError) => {
        throw error.failed === 'read' ? tube.failure(error, 'read') : error;
      });
    },
    discard() {
      if (eof) return;
      sink = openSync('/dev/null', 'w');
      start(fd, sink).done.catch(() => {});
    },
    watch(onActivity, meter, intervalMs) {
      let lastSent = 0;
      let lastReceived = 0;
      sample = () => {
        const sent = relay.sent();
        const received = relay.received();
        if (sent === lastSent && received === lastReceived) return;
        meter?.sent(sent - lastSent);
        meter?.received(received - lastReceived);
        lastSent = sent;
        lastReceived = received;
        onActivity();
      };
      timer = setInterval(sample, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.all(copies.map((copy) => copy.stop()));
      sample?.();
      if (sink !== undefined) closeSync(sink);
      sink = undefined;
    },
    sent: () => sendCopy?.bytes() ?? 0,
    received: () => bufferedWritten + (receiveCopy?.bytes() ?? 0),
  };
  return relay;
}

/** Resolves once a stream has handed everything written so far to the system. */
function flushed(stream: Writable): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
