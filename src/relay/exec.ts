import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  AbortError,
  ArgumentError,
  describeSystemError,
  ExecError,
  type Network,
} from '../errors.js';
import { ChildStream, type PtySize } from '../tube/child-stream.js';
import type { Endpoint, Tube } from '../tube/tube.js';
import { startNativeExec } from './native-exec.js';
import { createResizeDecoder } from './pty-resize.js';
import { recordRelayedBytes } from './relayed-bytes.js';
import { pump, writeChunk } from './stream-io.js';

export interface ExecOptions {
  /**
   * The command line. Without `shell` it is split the way ncat's `-e` splits it (see
   * splitCommandLine) and run without a shell; the program must be a path (no PATH search: a bare
   * name is looked up in the working directory, as execv does). With `shell`, `/bin/sh -c command`.
   */
  command: string;
  /** Run through `/bin/sh -c` (ncat's `-c`/`--sh-exec`). Default false (ncat's `-e`/`--exec`). */
  shell?: boolean;
  /**
   * The child's environment. Default: this process's. The connection's variables (NCAT_* and
   * SOCKCAT_*) are added on top either way.
   */
  env?: Record<string, string>;
  /** The child's working directory. Default: this process's. */
  cwd?: string;
  /**
   * Ends the relay: the connection is destroyed, the child is ended as on a reset, and the
   * promise rejects with AbortError once the child has been reaped.
   */
  signal?: AbortSignal;
  /** Milliseconds between SIGTERM and SIGKILL when the child has to be ended. Default 2000. */
  killGraceMs?: number;
  /**
   * Run the command on a pseudo-terminal of this size (needs the optional node-pty): the pty is
   * its controlling terminal, in a new session, so that job control, password prompts and
   * full-screen programs work; stderr goes to the terminal too. The peer's FIN sends the
   * terminal's end-of-file character (^D) instead of closing a pipe.
   */
  pty?: PtySize;
  /**
   * With `pty`: the peer's bytes carry the window size in-band (relay/pty-resize.ts, the framing
   * of the CLI's --pty-resize), applied to the terminal as it arrives. Default false.
   */
  ptyResize?: boolean;
  /** Called once the child runs, with its process id (the `--json` 'exec' event). */
  onSpawn?: (pid: number | undefined) => void;
  /** Called once the child has been reaped, with its exit status or the signal that ended it. */
  onExit?: (exitCode: number | null, signal: string | null) => void;
  /** Rewrites each chunk of the child's output before it is sent (for example -C's CRLF encoder). */
  transformSend?: (chunk: Buffer) => Buffer;
  /** Milliseconds to wait after each chunk sent before reading the child's output again (-d). */
  sendDelay?: number;
  /** Called with each chunk sent to the peer (after transformSend), and each received (taps). */
  onSend?: (chunk: Buffer) => void;
  onReceive?: (chunk: Buffer) => void;
  /**
   * Called when bytes moved either way (for an idle timeout): per chunk in JavaScript, and at most
   * every `activityIntervalMs` (default 250) on the native data path, which is not a tap.
   */
  onActivity?: () => void;
  activityIntervalMs?: number;
  /**
   * Told which data path the relay takes: `native: child to socket by rw`, or `JavaScript
   * (reason)` when a tap (transformSend, sendDelay, onSend, onReceive), a pty, TLS or a missing
   * addon keeps the bytes in JavaScript.
   */
  onDataPath?: (path: string) => void;
}

export interface ExecResult {
  /** The child's exit status, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the child ('SIGTERM', …), or null when it exited. */
  signal: string | null;
  /** Bytes the child wrote to its stdout and that were sent to the peer. */
  sent: number;
  /** Bytes received from the peer and written to the child's stdin. */
  received: number;
  /**
   * How the connection ended: 'closed' gracefully after the child closed its output, or 'reset'
   * (the connection failed first, and the child was ended).
   */
  end: 'closed' | 'reset';
}

const DEFAULT_KILL_GRACE_MS = 2000;

/** C's isspace() in the C locale, which ncat's splitter uses. */
function isSpace(char: string | undefined): boolean {
  return (
    char === ' ' ||
    char === '\t' ||
    char === '\n' ||
    char === '\v' ||
    char === '\f' ||
    char === '\r'
  );
}

/**
 * Split a command line into argv exactly as ncat 7.93's `-e` does (its `cmdline_split`). There
 * are no quotes: words are separated by whitespace, and a backslash takes the next character
 * literally (`a\ b` is one word "a b", `a\\` is "a\", a trailing lone backslash is dropped).
 * ncat's quirk is kept: after an escaped character other than a backslash, the whitespace that
 * follows is skipped and the word goes on (`a\  b` is "a b", `a\x y` is "axy").
 */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (isSpace(command[i])) i++;
    if (i >= command.length) break;
    let word = '';
    while (i < command.length && !isSpace(command[i])) {
      if (command[i] !== '\\') {
        word += command[i];
        i++;
        continue;
      }
      i++;
      if (i >= command.length) break;
      const escaped = command[i]!;
      word += escaped;
      i++;
      if (escaped !== '\\') while (isSpace(command[i])) i++;
    }
    words.push(word);
  }
  return words;
}

interface Invocation {
  file: string;
  args: string[];
  argv0: string;
  /** The program, for messages. */
  program: string;
}

function invocationOf(options: ExecOptions): Invocation {
  const { command } = options;
  if (typeof command !== 'string' || command.includes('\0')) {
    throw new ArgumentError(`invalid exec command ${JSON.stringify(command)}`);
  }
  if (options.shell) {
    if (command.trim() === '') throw new ArgumentError('exec needs a command, got an empty one');
    return { file: '/bin/sh', args: ['-c', command], argv0: 'sh', program: '/bin/sh' };
  }
  const [program, ...args] = splitCommandLine(command);
  if (program === undefined || program === '') {
    throw new ArgumentError(`exec needs a command, got ${JSON.stringify(command)}`);
  }
  // execv, not execvp: a name without a slash is a path relative to the working directory.
  const file = program.includes('/') ? program : `./${program}`;
  return { file, args, argv0: program, program };
}

/** "TCP"/"UDP" as ncat's NCAT_PROTO says it. */
function protoOf(network: Network | undefined): string {
  // ncat 7.93 says UDP over Unix datagram sockets too.
  return network === 'udp' || network === 'unixgram' ? 'UDP' : 'TCP';
}

/**
 * The variables ncat gives its exec child, and the same as SOCKCAT_*. For Unix sockets ncat
 * 7.93 reports "localhost", empty ports and "TCP"; NCAT_* keep that for scripts written against
 * it, while SOCKCAT_* tell the truth (the socket path when known, "UNIX"). Over Unix datagram
 * sockets ncat says "localhost" and "UDP"; SOCKCAT_PROTO is "UNIX-DGRAM".
 */
export function connectionEnv(tube: Tube): Record<string, string> {
  const unixStream = tube.network === 'unix';
  const unix = unixStream || tube.network === 'unixgram';
  const endpoint = (e: Endpoint | undefined) => ({
    address: e?.address ?? '',
    port: e === undefined || unix ? '' : String(e.port),
  });
  const local = endpoint(tube.local);
  const remote = endpoint(tube.remote);
  const env: Record<string, string> = {
    SOCKCAT_REMOTE_ADDR: remote.address,
    SOCKCAT_REMOTE_PORT: remote.port,
    SOCKCAT_LOCAL_ADDR: local.address,
    SOCKCAT_LOCAL_PORT: local.port,
    SOCKCAT_PROTO: unixStream ? 'UNIX' : unix ? 'UNIX-DGRAM' : protoOf(tube.network),
  };
  env['NCAT_REMOTE_ADDR'] = unix ? 'localhost' : remote.address;
  env['NCAT_REMOTE_PORT'] = remote.port;
  env['NCAT_LOCAL_ADDR'] = unix ? 'localhost' : local.address;
  env['NCAT_LOCAL_PORT'] = local.port;
  env['NCAT_PROTO'] = protoOf(tube.network);
  return env;
}

function execError(options: ExecOptions, invocation: Invocation, cause: unknown): ExecError {
  const where = options.cwd === undefined ? '' : ` in ${JSON.stringify(options.cwd)}`;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'ENOENT' && !invocation.program.includes('/') && !options.shell
      ? ' (the program must be given as a path, such as /bin/cat: there is no PATH search without a shell)'
      : '';
  return new ExecError(
    `exec ${JSON.stringify(options.command)}${where} failed: ${describeSystemError(cause)}${hint}`,
    options.command,
    { cause },
  );
}

/** The child as the relay sees it, on pipes or on a pty. */
interface RunningChild {
  pid: number | undefined;
  stdin: Writable;
  stdout: Readable;
  /** Signal its process group (or the child alone if that fails); quiet if it is gone. */
  signal(signal: NodeJS.Signals): void;
  running(): boolean;
  /** A pty child's new window size (it gets SIGWINCH); undefined on pipes. */
  resize?(size: PtySize): void;
  /** Resolves once it has exited and its output is closed. */
  closed: Promise<[number | null, NodeJS.Signals | null]>;
}

function fromChildProcess(child: ChildProcess): RunningChild {
  return {
    pid: child.pid,
    stdin: child.stdin!,
    stdout: child.stdout!,
    signal: (signal) => signalChild(child, signal),
    running: () => child.exitCode === null && child.signalCode === null,
    closed: once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>,
  };
}

/** The command on a pty: node-pty forks it as a session leader with the pty as its terminal. */
function startOnPty(
  options: ExecOptions,
  invocation: Invocation,
  tube: Tube,
  size: PtySize,
): RunningChild {
  let stream: ChildStream;
  try {
    stream = new ChildStream(invocation.file, invocation.args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { TERM: 'xterm-256color', ...(options.env ?? process.env), ...connectionEnv(tube) },
      stderr: 'merge',
      killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      pty: {
        ...size,
        term: options.env?.['TERM'] ?? process.env['TERM'] ?? 'xterm-256color',
        raw: false,
      },
    });
  } catch (error) {
    if (error instanceof ExecError) throw execError(options, invocation, error.cause);
    throw error;
  }
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  return {
    pid: stream.pid,
    stdin: stream,
    stdout: stream,
    signal: (signal) => stream.kill(signal),
    running: () => stream.running,
    resize: (size) => stream.resize(size),
    closed: closed.then(() => stream.exited).then((exit) => [exit.exitCode, exit.signal]),
  };
}

/** Resolves once the child runs; rejects with ExecError when it cannot be started. */
function start(options: ExecOptions, invocation: Invocation, tube: Tube): Promise<ChildProcess> {
  let child: ChildProcess;
  try {
    child = spawn(invocation.file, invocation.args, {
      argv0: invocation.argv0,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...(options.env ?? process.env), ...connectionEnv(tube) },
      // stderr goes where ours goes, as with ncat.
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own process group, so that ending it also ends what it started (a shell pipeline).
      detached: true,
    });
  } catch (error) {
    return Promise.reject(execError(options, invocation, error));
  }
  return new Promise<ChildProcess>((resolve, reject) => {
    const onSpawn = () => {
      child.off('error', onError);
      resolve(child);
    };
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      child.stdin?.destroy();
      child.stdout?.destroy();
      reject(execError(options, invocation, error));
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
}

/** Signal the child's process group (or the child alone if that fails); quiet if it is gone. */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

/**
 * Run a command for a connection, the primitive behind ncat's `-e`/`--exec` and `-c`/`--sh-exec`:
 * what the peer sends goes to the child's stdin, what the child writes to stdout goes to the peer,
 * stderr is inherited. The child's environment gets NCAT_REMOTE_ADDR, NCAT_REMOTE_PORT,
 * NCAT_LOCAL_ADDR, NCAT_LOCAL_PORT, NCAT_PROTO and the same as SOCKCAT_*.
 *
 * execRelay owns the tube from the call on: it is closed when the promise settles.
 * End-of-file rules (docs/eof.md, "Exec"):
 * - the peer sends FIN: the child's stdin is closed (it sees EOF); its output still goes to the
 *   peer.
 * - the child closes its stdout (usually by exiting): FIN to the peer; the peer's bytes still go
 *   to the child's stdin while it runs, and are discarded once it has stopped reading.
 * - the child has exited and its stdout is closed: the connection is closed gracefully (the tube's
 *   close(): FIN, discard what arrives, wait for the peer's FIN up to its closeTimeout), then the
 *   promise resolves.
 * - the connection fails (reset) or `signal` aborts: the connection is destroyed, the child's pipes
 *   are closed and its process group gets SIGTERM, then SIGKILL after `killGraceMs`. A reset
 *   resolves, an abort (at any time before the promise settles) rejects with AbortError; both only
 *   once the child has been reaped.
 * The promise never settles while the child runs: no zombie and no orphan is left behind (what the
 * child started in the background and that does not hold its stdout is its own business).
 * Backpressure both ways: the child's stdout is paused while a send waits, and the tube stops
 * reading (up to its highWaterMark) while the child does not read its stdin.
 *
 * Rejects with ArgumentError for an empty command and with ExecError (SOCKCAT_EXEC) when the
 * program cannot be started.
 */
export async function execRelay(tube: Tube, options: ExecOptions): Promise<ExecResult> {
  let invocation: Invocation;
  let child: RunningChild;
  try {
    invocation = invocationOf(options);
    if (options.ptyResize && !options.pty) {
      throw new ArgumentError('execRelay: ptyResize needs pty (it resizes the terminal)');
    }
    if (options.signal?.aborted) throw abortError(options);
    child = options.pty
      ? startOnPty(options, invocation, tube, options.pty)
      : fromChildProcess(await start(options, invocation, tube));
  } catch (error) {
    if (error instanceof AbortError) tube.destroy();
    else await tube.close();
    throw error;
  }
  options.onSpawn?.(child.pid);
  return relay(tube, child, options);
}

function abortError(options: ExecOptions): AbortError {
  return new AbortError(`exec ${JSON.stringify(options.command)} aborted`, { op: 'exec' });
}

function relay(tube: Tube, child: RunningChild, options: ExecOptions): Promise<ExecResult> {
  const { stdin, stdout } = child;
  const fast = startNativeExec(tube, child, options);
  const signal = options.signal;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let sent = 0;
  let received = 0;
  /** The child has closed: errors from the parts being torn down are expected. */
  let finished = false;
  let ending = false;
  let aborted: AbortError | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  // Failed writes (EPIPE when the child stops reading) are reported through writeChunk.
  stdin.on('error', () => {});
  stdout.on('error', () => {});

  /** The connection is gone or the caller gave up: end the child. */
  const endChild = () => {
    if (ending || finished) return;
    ending = true;
    tube.destroy();
    // The copies hold duplicates of the descriptors: the connection closes once they stop.
    void fast?.stop();
    output?.stop();
    stdin.destroy();
    stdout.destroy();
    child.signal('SIGTERM');
    killTimer = setTimeout(() => {
      if (child.running()) child.signal('SIGKILL');
    }, killGraceMs);
  };
  const onAbort = () => {
    aborted ??= abortError(options);
    // Once the child is done, only the graceful close of the connection can be left to cut short.
    if (finished) tube.destroy();
    else endChild();
  };

  // Child -> peer. When the child closes its stdout, the peer gets FIN.
  const { transformSend, sendDelay, onSend, onReceive, onActivity } = options;
  const output = fast
    ? undefined
    : pump(stdout, (read) => {
        const chunk = transformSend ? transformSend(read) : read;
        sent += chunk.length;
        onSend?.(chunk);
        onActivity?.();
        const sending = tube.send(chunk);
        if (!sendDelay) return sending;
        return sending.then(() => new Promise<void>((resolve) => setTimeout(resolve, sendDelay)));
      });
  (fast ? fast.output() : output!.done).then(() => {
    if (!finished && !ending) return tube.shutdown('send').catch(endChild);
  }, endChild);

  // Peer -> child. At the peer's FIN the child's stdin is closed.
  const decode = options.ptyResize ? createResizeDecoder() : undefined;
  const input = async () => {
    if (fast) {
      // The child gone, the tube has the connection back and discards the rest (as below).
      if ((await fast.input()) === 'child-gone') await tube.shutdown('recv');
      return;
    }
    // (A pty, and so --pty-resize, always takes this JavaScript path.)
    for await (const read of tube) {
      let chunk = read;
      if (decode) {
        const decoded = decode(read);
        for (const size of decoded.sizes) child.resize?.(size);
        chunk = decoded.data;
        if (chunk.length === 0) continue;
      }
      onReceive?.(chunk);
      onActivity?.();
      try {
        await writeChunk(stdin, chunk);
      } catch {
        // The child closed its stdin or exited: what the peer sends now is discarded (as ncat).
        stdin.destroy();
        await tube.shutdown('recv');
        return;
      }
      received += chunk.length;
    }
    stdin.end();
  };
  input().catch(() => {
    if (!finished) endChild();
  });
  if (fast && onActivity) fast.watch(onActivity, options.activityIntervalMs ?? 250);

  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  return new Promise<ExecResult>((resolve, reject) => {
    // The child has exited (and was reaped) and its stdout is closed.
    child.closed.then(([exitCode, exitSignal]) => {
      finished = true;
      if (killTimer) clearTimeout(killTimer);
      options.onExit?.(exitCode, exitSignal);
      output?.stop();
      // The native copies stop, and the tube gets the connection back for the graceful close.
      const stopped = fast ? fast.stop() : Promise.resolve();
      stopped
        .then(() => {
          sent += fast?.sent() ?? 0;
          received += fast?.received() ?? 0;
          stdin.destroy();
          return tube.close();
        })
        .then(() => {
          signal?.removeEventListener('abort', onAbort);
          if (aborted) {
            recordRelayedBytes(aborted, { sent, received });
            reject(aborted);
          } else
            resolve({
              exitCode,
              signal: exitSignal,
              sent,
              received,
              end: ending ? 'reset' : 'closed',
            });
        });
    });
  });
}
