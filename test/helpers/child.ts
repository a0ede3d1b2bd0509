import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { BIN } from './paths.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Collect a child's output from now on and wait for it to exit. The output is collected in the
 * streams' transcripts (started here if no waitForLine() started them before), so that a
 * waitForLine() called later, after the stream has been flowing, still sees every line: a
 * transcript started only then would miss what had already passed.
 */
export async function finished(child: ChildProcess): Promise<Finished> {
  const out = child.stdout ? transcriptOf(child.stdout) : undefined;
  const err = child.stderr ? transcriptOf(child.stderr) : undefined;
  const from = { out: out?.chunks.length ?? 0, err: err?.chunks.length ?? 0 };
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return {
    code,
    signal,
    stdout: Buffer.concat(out?.chunks.slice(from.out) ?? []),
    stderr: Buffer.concat(err?.chunks.slice(from.err) ?? []).toString(),
  };
}

/** Spawn the built sockcat CLI. */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: 'pipe', ...options });
}

/** Run the CLI with `input` on stdin (then EOF) and wait for it. */
export async function runCli(
  args: readonly string[],
  input: string | Buffer = '',
  options: SpawnOptions = {},
): Promise<Finished> {
  const child = spawnCli(args, options);
  const done = finished(child);
  feedStdin(child, input);
  return done;
}

/**
 * Write `input` to a child's stdin, then EOF. A child may exit without reading it (a bad option,
 * a refused connection): the EPIPE that follows is not an error here, the exit status tells.
 */
export function feedStdin(child: ChildProcess, input: string | Buffer): void {
  child.stdin?.on('error', () => {});
  child.stdin?.end(input);
}

interface Transcript {
  chunks: Buffer[];
  /** The chunks as text, made at the first waitForLine() and kept up to date after it. */
  text: string | undefined;
  ended: boolean;
  waiters: Set<() => void>;
}

const transcripts = new WeakMap<NodeJS.ReadableStream, Transcript>();

/**
 * Everything a stream has printed since the first waitForLine() or finished() on it, kept for
 * later waits. (Until then, a stream nobody reads keeps its data: it is paused.)
 */
function transcriptOf(stream: NodeJS.ReadableStream): Transcript {
  let transcript = transcripts.get(stream);
  if (transcript) return transcript;
  const created: Transcript = { chunks: [], text: undefined, ended: false, waiters: new Set() };
  const wake = () => {
    for (const waiter of [...created.waiters]) waiter();
  };
  stream.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    created.chunks.push(bytes);
    if (created.text !== undefined) created.text += bytes.toString();
    wake();
  });
  stream.on('end', () => {
    created.ended = true;
    wake();
  });
  transcripts.set(stream, created);
  transcript = created;
  return transcript;
}

/**
 * Resolve with the first match of `pattern` in what the stream printed (since the first
 * waitForLine() or finished() on this stream), waiting for more output if needed. Lines seen by
 * an earlier wait are not lost.
 */
export function waitForLine(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  const transcript = transcriptOf(stream);
  transcript.text ??= Buffer.concat(transcript.chunks).toString();
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(transcript.text!);
      if (match) {
        transcript.waiters.delete(check);
        resolve(match);
      } else if (transcript.ended) {
        transcript.waiters.delete(check);
        reject(
          new Error(`stream ended before ${pattern}; got: ${JSON.stringify(transcript.text)}`),
        );
      }
    };
    transcript.waiters.add(check);
    check();
  });
}

/** Kill a child (if still running) and wait for it to be gone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGKILL');
  await closed;
}

/**
 * Resolves when process `pid` has terminated (a zombie counts), waiting on a pidfd in python3:
 * an event, not a poll. For processes that are not our children. The waiter is stopped when the
 * test ends, should the process outlive it.
 */
export async function terminated(t: TestContext, python: string, pid: number): Promise<void> {
  const script =
    'import os, select, sys\n' +
    'try:\n    fd = os.pidfd_open(int(sys.argv[1]))\n' +
    'except ProcessLookupError:\n    sys.exit(0)\n' +
    'select.select([fd], [], [])\n';
  const waiter = spawn(python, ['-c', script, String(pid)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.after(() => stop(waiter));
  const [code] = (await once(waiter, 'close')) as [number | null];
  if (code !== 0) throw new Error(`waiting for process ${pid} to end failed (status ${code})`);
}

/** True while a process exists (a zombie counts: it has not been reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves once a client socket is connected or already closed (a listener may reset it at once,
 * which events.once(socket, 'connect') would turn into a rejection).
 */
export function connectedOrClosed(socket: import('node:net').Socket): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
}
