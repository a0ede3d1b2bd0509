import type { Readable, Writable } from 'node:stream';
import { TimeoutError } from '../errors.js';
import type { Tube } from '../tube/tube.js';
import { type NativeStdio, startNativeStdio } from './native-stdio.js';
import { recordRelayedBytes } from './relayed-bytes.js';
import { isBrokenPipe, pump, writeChunk } from './stream-io.js';

export interface StdioRelayOptions {
  stdin: Readable;
  stdout: Writable;
  /** Only send: what the peer sends is discarded, and the relay ends with stdin (ncat --send-only). */
  sendOnly?: boolean;
  /**
   * End as soon as the peer has finished sending, leaving stdin unread. Default false: stdin is
   * sent to its end first, because the peer may have only half-closed.
   */
  endOnPeerEof?: boolean;
  /**
   * When the peer has finished sending and stdin goes on (no `endOnPeerEof`), end `stdout` once
   * everything received is written, so that its reader sees end of file while stdin is still
   * being sent (`sockcat -l | tar x` finishes). Default false: stdout is left open.
   */
  endStdoutOnPeerEof?: boolean;
  /** Only receive: stdin is not read (ncat --recv-only). */
  recvOnly?: boolean;
  /** Keep the sending side open when stdin ends (ncat --no-shutdown). */
  noShutdown?: boolean;
  /**
   * After stdin ends, wait this many milliseconds and finish even if the peer has not closed
   * (`-q`). Undefined: wait for the peer. 0: finish as soon as stdin ends.
   */
  quitAfterEof?: number;
  /** Finish when nothing has been sent or received for this many milliseconds (`-i`). */
  idleTimeout?: number;
  /**
   * The idle timeout ends the relay normally (end 'idle-timeout') instead of rejecting, and the
   * end of stdin counts as activity: nc.openbsd's -w.
   */
  idleEndsQuietly?: boolean;
  /**
   * Send stdin one line at a time (a line ends after LF; a trailing part without one counts too),
   * waiting this many milliseconds after each: nc.openbsd's -i.
   */
  lineInterval?: number;
  /** Rewrites each chunk read from stdin before it is sent (for example -C's CRLF encoder). */
  transformSend?: (chunk: Buffer) => Buffer;
  /**
   * Rewrites each chunk received before it goes to stdout, and may answer the peer (for example
   * -t's Telnet negotiation): `reply` is sent at once (counted as sent and passed to `onSend`),
   * unless the sending side is already shut down. `onReceive` sees the chunk as received.
   */
  transformReceive?: (chunk: Buffer) => { data: Buffer; reply?: Buffer };
  /** Milliseconds to wait after each chunk sent before reading stdin again (ncat's -d). */
  sendDelay?: number;
  /** Called with each chunk that went to the peer, and each that came from it (taps). */
  onSend?: (chunk: Buffer) => void;
  onReceive?: (chunk: Buffer) => void;
  /**
   * Counts bytes without seeing them (--progress, not a tap): called per chunk on the JavaScript
   * path, and with what moved since the last call, a few times a second, on the native path.
   */
  meter?: { sent(bytes: number): void; received(bytes: number): void };
  /**
   * The file descriptors behind `stdin` and `stdout` (0 and 1 for the process's own), for the
   * native data path: with the addon, a plain (not TLS) socket tube and no tap (transformSend,
   * transformReceive, sendDelay, lineInterval, onSend, onReceive), bytes move between these
   * descriptors and the socket in the addon (splice, sendfile or a reused buffer), never through
   * JavaScript, with the same end-of-file rules. `stdin` must not have been read from then.
   */
  fds?: { stdin: number; stdout: number };
  /**
   * Told which data path the relay takes: `JavaScript (TLS)` (with the reason), or for each
   * native copy as it starts, `native: stdin to socket by splice`.
   */
  onDataPath?: (path: string) => void;
  signal?: AbortSignal;
}

/** Why a relay finished without an error. */
export type RelayEnd =
  | 'peer-eof'
  | 'stdin-eof'
  | 'quit-after-eof'
  | 'idle-timeout'
  | 'stdout-closed'
  | 'aborted';

export interface RelayResult {
  end: RelayEnd;
  /** Bytes sent to the peer. */
  sent: number;
  /** Bytes received from the peer. */
  received: number;
}

/**
 * Relay between a tube and a pair of local streams, the way netcat does: stdin to the peer, the
 * peer to stdout. End-of-file rules (docs/eof.md):
 * - stdin ends: the sending side is shut down (FIN) unless `noShutdown`; receiving goes on until
 *   the peer closes, or for `quitAfterEof` ms.
 * - the peer ends (FIN): what it sent is written out; stdin goes on being sent until its end,
 *   then the relay finishes (with `endOnPeerEof`, it finishes at once, stdin left unread; with
 *   `endStdoutOnPeerEof`, stdout is ended meanwhile).
 * - stdout closes (EPIPE): the relay finishes quietly.
 * Rejects with the tube's error (reset) or a TimeoutError for the idle timeout; relayedBytes()
 * of that error gives what was moved until then.
 */
export function relayStdio(tube: Tube, options: StdioRelayOptions): Promise<RelayResult> {
  // options.stdin is read only where JavaScript reads stdin (not on the native path): a caller
  // may make it on first use.
  const { stdout } = options;
  let sent = 0;
  let received = 0;
  const fast: NativeStdio | undefined = startNativeStdio(tube, options);
  const meter = options.meter;
  return new Promise<RelayResult>((resolve, reject) => {
    let finished = false;
    let quitTimer: NodeJS.Timeout | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    let input: ReturnType<typeof pump> | undefined;

    const finish = (end: RelayEnd | Error) => {
      if (finished) return;
      finished = true;
      if (quitTimer) clearTimeout(quitTimer);
      if (idleTimer) clearTimeout(idleTimer);
      options.signal?.removeEventListener('abort', onAbort);
      input?.stop();
      const settle = () => {
        if (!(end instanceof Error)) return resolve({ end, sent, received });
        recordRelayedBytes(end, { sent, received });
        reject(end);
      };
      if (!fast) return settle();
      // The native threads must have left the descriptors before anyone closes them.
      fast.stop().then(() => {
        sent += fast.sent();
        received += fast.received();
        settle();
      });
    };
    const onAbort = () => finish('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) return finish('aborted');

    const idle = options.idleTimeout;
    if (idle !== undefined) {
      idleTimer = setTimeout(
        () =>
          finish(
            options.idleEndsQuietly
              ? 'idle-timeout'
              : new TimeoutError(`idle timeout expired (${idle} ms)`, idle, { op: 'read' }),
          ),
        idle,
      );
    }
    // Traffic either way starts the idle period again.
    const touch = () => idleTimer?.refresh();
    // The native path moves bytes out of sight: its counters are read a few times a second.
    if (fast && (idle !== undefined || meter)) {
      fast.watch(touch, meter, idle === undefined ? 250 : Math.min(250, Math.max(5, idle / 4)));
    }

    // Each direction's end; the relay ends when both have (or by the rules below).
    let sendDone = options.recvOnly === true;
    /** FIN sent (or being sent): nothing more can go to the peer. */
    let shutDown = false;
    let receiveDone = false;

    const stdinEnded = () => {
      if (finished) return;
      if (options.idleEndsQuietly) touch();
      const quit = options.quitAfterEof;
      const afterShutdown = () => {
        sendDone = true;
        if (options.sendOnly || receiveDone) return finish('stdin-eof');
        if (quit === 0) return finish('quit-after-eof');
        if (quit !== undefined && Number.isFinite(quit)) {
          quitTimer = setTimeout(() => finish('quit-after-eof'), quit);
        }
      };
      if (options.noShutdown) return afterShutdown();
      shutDown = true;
      tube.shutdown('send').then(afterShutdown, (error: Error) => finish(error));
    };

    if (!options.recvOnly && fast) {
      fast.send().then(stdinEnded, (error: Error) => finish(error));
    } else if (!options.recvOnly) {
      const transform = options.transformSend;
      const sendOne = (chunk: Buffer) => {
        sent += chunk.length;
        touch();
        meter?.sent(chunk.length);
        options.onSend?.(chunk);
        const sending = tube.send(chunk);
        const delay = options.sendDelay;
        if (!delay) return sending;
        return sending.then(() => pause(delay));
      };
      const interval = options.lineInterval;
      input = pump(options.stdin, async (read) => {
        const chunk = transform ? transform(read) : read;
        if (!interval) return sendOne(chunk);
        for (const line of splitLines(chunk)) {
          if (finished) return;
          await sendOne(line);
          await pause(interval);
        }
      });
      input.done.then(stdinEnded, (error: Error) => finish(error));
    }

    if (options.sendOnly) {
      // What the peer sends is discarded and its close ignored: the relay ends with stdin (ncat).
      if (fast) fast.discard();
      else tube.shutdown('recv').catch(() => {});
      return;
    }
    const transformReceive = options.transformReceive;
    const receive = async () => {
      if (fast) return fast.receive();
      for await (const chunk of tube) {
        if (finished) return;
        received += chunk.length;
        touch();
        meter?.received(chunk.length);
        options.onReceive?.(chunk);
        if (!transformReceive) {
          await writeChunk(stdout, chunk);
          continue;
        }
        const { data, reply } = transformReceive(chunk);
        if (reply && reply.length > 0 && !shutDown) {
          sent += reply.length;
          meter?.sent(reply.length);
          options.onSend?.(reply);
          // A peer that is gone cannot be answered; its end shows up on the receiving side.
          await tube.send(reply).catch(() => {});
        }
        if (data.length > 0) await writeChunk(stdout, data);
      }
    };
    receive().then(
      () => {
        receiveDone = true;
        // The peer has finished sending, not necessarily receiving: stdin still read from a pipe
        // or file goes on being sent (no data lost), unless the caller asked to end here (the
        // CLI does when stdin is a terminal: nobody is waiting to type into a closed session).
        if (sendDone || options.endOnPeerEof) finish('peer-eof');
        else if (options.endStdoutOnPeerEof) stdout.end();
      },
      (error: unknown) => {
        if (isBrokenPipe(error)) finish('stdout-closed');
        else finish(error as Error);
      },
    );
  });
}

function pause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/** The chunk cut after each LF; the last piece may lack one. */
function splitLines(chunk: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, start)) {
    lines.push(chunk.subarray(start, at + 1));
    start = at + 1;
  }
  if (start < chunk.length) lines.push(chunk.subarray(start));
  return lines;
}
