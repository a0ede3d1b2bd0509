/**
 * --raw: the local terminal in raw mode with no echo, so that every key (Ctrl-C, Ctrl-Z, the
 * arrows) goes to the remote pty as it is typed, and ssh's escape to get out: Enter ~ . ends
 * the session, Enter ~ ~ sends one ~. The terminal is restored on every way out: the session
 * ending, an error, SIGTERM/SIGINT/SIGHUP, and process exit.
 */
import { type Readable, Transform } from 'node:stream';
import type { ReadStream, WriteStream } from 'node:tty';
import { encodeWindowSize, escapeData } from '../relay/pty-resize.js';

export interface RawTerminal {
  /** stdin with the escape taken out. */
  input: Transform;
  /** Aborted when the user typed Enter ~ . */
  escaped: AbortSignal;
  /** Put the terminal back as it was. Idempotent. */
  restore(): void;
}

const TILDE = 0x7e;
const DOT = 0x2e;

/**
 * The escape as a pure state machine over input bytes: `feed` returns the bytes to send on, and
 * whether Enter ~ . was typed (the bytes after it are dropped).
 */
export function createEscapeFilter(): (chunk: Buffer) => { data: Buffer; escaped: boolean } {
  // At the start of a line (the session's start counts), and whether a ~ is being held.
  let lineStart = true;
  let held = false;
  return (chunk) => {
    const out: number[] = [];
    for (const byte of chunk) {
      if (held) {
        held = false;
        if (byte === DOT) return { data: Buffer.from(out), escaped: true };
        if (byte === TILDE) {
          out.push(TILDE);
          lineStart = false;
          continue;
        }
        out.push(TILDE);
      } else if (lineStart && byte === TILDE) {
        held = true;
        continue;
      }
      out.push(byte);
      lineStart = byte === 0x0d || byte === 0x0a;
    }
    return { data: Buffer.from(out), escaped: false };
  };
}

/** Switch `stdin` (a terminal) to raw mode; see the module comment. */
export function enterRawTerminal(stdin: ReadStream): RawTerminal {
  const controller = new AbortController();
  const feed = createEscapeFilter();
  stdin.setRawMode(true);
  let restored = false;
  const signals: NodeJS.Signals[] = ['SIGHUP', 'SIGQUIT'];
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    for (const signal of signals) process.off(signal, onSignal);
    try {
      stdin.setRawMode(false);
    } catch {
      // The terminal is gone (hung up): nothing to restore.
    }
  };
  // SIGINT and SIGTERM end the run through its AbortSignal (bin.ts), and the session restores the
  // terminal on its way out. These two would kill the process where it stands: restore first,
  // then let the signal do what it does.
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  process.once('exit', restore);
  for (const signal of signals) process.once(signal, onSignal);
  const input = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (controller.signal.aborted) return callback();
      const { data, escaped } = feed(chunk);
      if (data.length > 0) this.push(data);
      if (escaped) controller.abort();
      callback();
    },
  });
  stdin.pipe(input);
  return { input, escaped: controller.signal, restore };
}

/**
 * --pty-resize: what the terminal types, escaped for the in-band framing (relay/pty-resize.ts),
 * with the window size of `terminal` sent first and again on every resize (SIGWINCH). `stop()`
 * removes the resize listener.
 */
export function withWindowSize(
  input: Readable,
  terminal: WriteStream,
): { input: Transform; stop(): void } {
  const frame = () => encodeWindowSize({ cols: terminal.columns, rows: terminal.rows });
  const output = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, escapeData(chunk));
    },
  });
  const onResize = () => output.push(frame());
  output.push(frame());
  terminal.on('resize', onResize);
  input.pipe(output);
  return { input: output, stop: () => terminal.off('resize', onResize) };
}
