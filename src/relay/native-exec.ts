import type { Duplex, Readable, Writable } from 'node:stream';
import { copyFd, type FdCopy, type FdCopyError, nativeCopyUnavailable } from '../native/copy.js';
import { plainSocketFd, takeHeld } from '../tube/socket-fd.js';
import type { Tube } from '../tube/tube.js';

/** What the native path reads of execRelay's options (ExecOptions has them all). */
export interface NativeExecOptions {
  transformSend?: unknown;
  sendDelay?: number | undefined;
  onSend?: unknown;
  onReceive?: unknown;
  pty?: unknown;
  onDataPath?: ((path: string) => void) | undefined;
}

/**
 * The native data path of execRelay: the child's stdout → the connection and the connection →
 * the child's stdin as two copies in the addon (native/copy.ts), between the descriptors of the
 * connection and of the child's pipes. execRelay keeps the end-of-file rules (docs/eof.md,
 * "Exec"); this moves the bytes, and gives the connection back to the tube (reattachFd) when
 * JavaScript has to read it again: to discard what the peer sends once the child stops reading,
 * and for the graceful close.
 */
export interface NativeExec {
  /** Child → peer until the child closes its stdout; rejects when a side fails. */
  output(): Promise<void>;
  /**
   * Peer → child until the peer's FIN ('eof': the child's stdin is ended) or until the child
   * stops reading ('child-gone': its stdin is destroyed, the tube reads the connection again);
   * rejects when the connection fails.
   */
  input(): Promise<'eof' | 'child-gone'>;
  /** Call `onActivity` whenever bytes moved either way, sampled every `intervalMs`. */
  watch(onActivity: () => void, intervalMs: number): void;
  /** Stop both copies; once they have left the descriptors, the tube reads the connection again. */
  stop(): Promise<void>;
  sent(): number;
  received(): number;
}

/** Taps see every byte: with any of them the relay stays in JavaScript. */
const TAPS = [
  ['transformSend', '-C'],
  ['sendDelay', '-d'],
  ['onSend', 'a session log'],
  ['onReceive', 'a session log'],
] as const;

/** Why the JavaScript path is taken, or undefined when the native one can be. */
function blocker(tube: Tube, options: NativeExecOptions): string | undefined {
  if (options.pty) return 'a pty is not a pair of pipes';
  for (const [option, name] of TAPS) if (options[option]) return `${name} sees the bytes`;
  if (tube.tls) return 'TLS';
  return nativeCopyUnavailable();
}

/**
 * The native relay between `tube` and a child's pipes, or undefined (the JavaScript path, said
 * to onDataPath with the reason) when a tap, a pty, TLS, a missing addon or the streams' state
 * rule it out.
 */
export function startNativeExec(
  tube: Tube,
  child: { stdin: Writable; stdout: Readable },
  options: NativeExecOptions,
): NativeExec | undefined {
  const why = blocker(tube, options);
  const stdoutFd = why ? undefined : plainSocketFd(child.stdout as unknown as Duplex, true);
  const stdinFd = why ? undefined : plainSocketFd(child.stdin as unknown as Duplex);
  const detached = stdoutFd !== undefined && stdinFd !== undefined ? tube.detachFd() : undefined;
  if (!detached || stdoutFd === undefined || stdinFd === undefined) {
    options.onDataPath?.(
      `JavaScript (${why ?? 'the connection or the pipes are not plain sockets'})`,
    );
    return undefined;
  }
  const { fd, buffered, eof } = detached;
  const heldOutput = takeHeld(child.stdout as unknown as Duplex);
  const copies: FdCopy[] = [];
  let outputCopy: FdCopy | undefined;
  let inputCopy: FdCopy | undefined;
  let heldSent = 0;
  let bufferedWritten = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const start = (src: number, dst: number, label: string): FdCopy => {
    const copy = copyFd(src, dst);
    copies.push(copy);
    options.onDataPath?.(`native: ${label} by ${copy.mechanism}`);
    return copy;
  };
  return {
    async output() {
      // What the child wrote before the copy started goes first, through the connection's stream.
      if (heldOutput.length > 0) {
        await tube.send(heldOutput);
        // The copy writes the descriptor directly: nothing of the stream's may still be queued.
        await tube.flushed();
      }
      heldSent = heldOutput.length;
      if (stopped) return;
      outputCopy = start(stdoutFd, fd, 'child to socket');
      await outputCopy.done.catch((error: FdCopyError) => {
        throw error.failed === 'write' ? tube.failure(error, 'write') : error;
      });
      // Its end of file is seen by the copy, not by the stream: the child's 'close' needs it.
      child.stdout.destroy();
    },
    async input() {
      if (buffered.length > 0) {
        // Handed to the system before the copy writes the same pipe (the callback says so).
        const written = await new Promise<boolean>((resolve) => {
          child.stdin.write(buffered, (error) => resolve(!error));
        });
        if (!written) return childGone();
        bufferedWritten = buffered.length;
      }
      if (eof) {
        child.stdin.end();
        return 'eof';
      }
      if (stopped) return 'eof';
      inputCopy = start(fd, stdinFd, 'socket to child');
      const ended = await inputCopy.done.then(
        () => 'eof' as const,
        (error: FdCopyError) => {
          // The child closed its stdin or exited: what the peer sends now is discarded (as ncat).
          if (error.failed === 'write') return 'child-gone' as const;
          throw tube.failure(error, 'read');
        },
      );
      if (ended === 'child-gone') return childGone();
      child.stdin.end();
      return 'eof';
    },
    watch(onActivity, intervalMs) {
      let last = -1;
      timer = setInterval(() => {
        const moved = this.sent() + this.received();
        if (moved === last) return;
        last = moved;
        onActivity();
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.all(copies.map((copy) => copy.stop()));
      tube.reattachFd();
    },
    sent: () => heldSent + (outputCopy?.bytes() ?? 0),
    received: () => bufferedWritten + (inputCopy?.bytes() ?? 0),
  };

  /** The child stopped reading: its stdin goes, and the tube reads (and discards) the rest. */
  async function childGone(): Promise<'child-gone'> {
    child.stdin.destroy();
    await inputCopy?.stop();
    tube.reattachFd();
    return 'child-gone';
  }
}
