/**
 * A local child process as one Duplex: writes go to its input (stdin, or the pty), reads come
 * from its output (stdout, with stderr when merged, or the pty). The stream ends when the output
 * has ended, and closes once the child has also exited, so that whoever waits for 'close' waits
 * for the child. Destroying it ends the child: SIGTERM to its process group (a pty child leads
 * its own session), SIGKILL after a grace period.
 */
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, isAbsolute, join } from 'node:path';
import { Duplex, type Readable } from 'node:stream';
import { describeSystemError, ExecError, UnsupportedError } from '../errors.js';
import { MergedOutput } from './merged-output.js';

export interface PtySize {
  cols: number;
  rows: number;
}

export interface ChildStreamOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Where the child's stderr goes (pipes only): merged into the output, a pipe, or ours. */
  stderr: 'merge' | 'pipe' | 'inherit';
  /** Run on a pseudo-terminal (node-pty) instead of pipes. */
  pty?: PtyChildOptions;
  /** Milliseconds between SIGTERM and SIGKILL when the child has to be ended. */
  killGraceMs: number;
  /** Its own process group (pipes): ending it ends what it started. Default false. */
  detached?: boolean;
}

export interface PtyChildOptions extends PtySize {
  /** TERM for the child. Default 'xterm-256color'. */
  term: string;
  /**
   * Raw mode (no echo, no line editing, no "\n" to "\r\n" translation, no signals from ^C), so
   * that the tube sees exactly what the program writes, as pwntools' process(stdin=PTY) does.
   */
  raw: boolean;
}

export interface ChildExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** The subset of node-pty's IPty used here. */
interface Pty {
  readonly pid: number;
  onData(listener: (data: Buffer | string) => void): unknown;
  onExit(listener: (event: { exitCode: number; signal?: number }) => void): unknown;
  write(data: Buffer | string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
  readonly _pty?: string;
}

interface PtyModule {
  spawn(
    file: string,
    args: string[],
    options: {
      name: string;
      cols: number;
      rows: number;
      cwd?: string;
      env: Record<string, string>;
      encoding: null;
    },
  ): Pty;
}

let ptyModule: PtyModule | undefined;

/**
 * Printed by the raw-mode wrapper once `stty raw -echo` has taken effect. Until it arrives, what
 * the tube sends is held back: bytes written to a pty still in cooked mode would be echoed.
 */
const RAW_READY = Buffer.from('\x1b]sockcat-raw\x07', 'latin1');
const RAW_WRAPPER = 'stty raw -echo && printf \'\\033]sockcat-raw\\007\' && exec "$0" "$@"';

/** node-pty, loaded on first use (an optional dependency). */
export function loadPty(): PtyModule {
  if (ptyModule) return ptyModule;
  try {
    ptyModule = createRequire(import.meta.url)('node-pty') as PtyModule;
  } catch (error) {
    throw new UnsupportedError(
      `a pseudo-terminal is not available: the optional dependency node-pty did not install (${describeSystemError(error)}); install it with \`npm install node-pty\` (needs g++, make and python3)`,
      { op: 'exec', cause: error },
    );
  }
  return ptyModule;
}

/** Signal numbers node-pty reports, as names. */
const SIGNAL_NAMES: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** Children still running, ended when this process exits (pwntools kills its processes too). */
const live = new Set<ChildStream>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** The program's path, as execvp would find it; an ExecError when there is none to run. */
export function resolveProgram(
  command: string,
  env: Record<string, string | undefined>,
  cwd: string | undefined,
): string {
  const fail = (cause: NodeJS.ErrnoException, hint = '') => {
    const where = cwd === undefined ? '' : ` in ${JSON.stringify(cwd)}`;
    return new ExecError(
      `spawn ${JSON.stringify(command)}${where} failed: ${describeSystemError(cause)}${hint}`,
      command,
      { cause },
    );
  };
  const check = (path: string): NodeJS.ErrnoException | undefined => {
    try {
      if (statSync(path).isDirectory()) {
        return Object.assign(new Error(`${path} is a directory`), { code: 'EACCES' });
      }
      accessSync(path, constants.X_OK);
      return undefined;
    } catch (error) {
      return error as NodeJS.ErrnoException;
    }
  };
  if (cwd !== undefined) {
    try {
      if (!statSync(cwd).isDirectory()) throw Object.assign(new Error(cwd), { code: 'ENOTDIR' });
    } catch (error) {
      throw fail(error as NodeJS.ErrnoException, ' (the working directory)');
    }
  }
  if (command.includes('/')) {
    const path = isAbsolute(command) || cwd === undefined ? command : join(cwd, command);
    const problem = check(path);
    if (problem) throw fail(problem);
    return command;
  }
  for (const dir of (env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, command);
    if (check(path) === undefined) return path;
  }
  throw fail(Object.assign(new Error('not found'), { code: 'ENOENT' }), ' (not found on PATH)');
}

export class ChildStream extends Duplex {
  readonly pid: number;
  /** The pty's device name ('/dev/pts/3') for a pty child, else undefined. */
  readonly ttyName: string | undefined;
  /** The child's stderr when `stderr: 'pipe'`. */
  readonly stderr: Readable | undefined;
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<ChildExit>;

  #exit: ChildExit | undefined;
  #child: ChildProcess | undefined;
  #pty: Pty | undefined;
  #killGraceMs: number;
  #killTimer: NodeJS.Timeout | undefined;
  /** stdout (with stderr when merged), or the pty: this stream's readable side. */
  #output: MergedOutput;
  #groupLeader: boolean;
  /** Raw pty: output seen before RAW_READY, and writes held until it arrives. */
  #rawPending: Buffer | undefined;
  #heldWrites: Array<() => void> = [];
  #raw = false;
  /** Whether the pipes currently keep this process alive (setRef's last word). */
  #refed = true;

  /** Starts the child; throws ExecError when the program cannot be run. */
  constructor(command: string, args: readonly string[], options: ChildStreamOptions) {
    super({ allowHalfOpen: true, autoDestroy: false });
    this.#output = new MergedOutput(this);
    this.#killGraceMs = options.killGraceMs;
    const env = options.env ?? process.env;
    const file = resolveProgram(command, env, options.cwd);
    let resolveExit!: (exit: ChildExit) => void;
    this.exited = new Promise<ChildExit>((resolve) => {
      resolveExit = resolve;
    });
    const onExit = (exit: ChildExit) => {
      if (this.#exit) return;
      this.#exit = exit;
      live.delete(this);
      if (this.#killTimer) clearTimeout(this.#killTimer);
      resolveExit(exit);
      this.#output.sourceGone();
    };
    if (options.pty) {
      const pty = options.pty;
      const cleanEnv: Record<string, string> = {};
      for (const [key, value] of Object.entries(env))
        if (value !== undefined) cleanEnv[key] = value;
      const [ptyFile, ptyArgs] = pty.raw
        ? // stty runs on the pty before the program does, so not one byte is cooked or echoed.
          ['/bin/sh', ['-c', RAW_WRAPPER, file, ...args]]
        : [file, [...args]];
      this.#pty = loadPty().spawn(ptyFile, ptyArgs as string[], {
        name: pty.term,
        cols: pty.cols,
        rows: pty.rows,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        env: cleanEnv,
        encoding: null,
      });
      this.pid = this.#pty.pid;
      this.ttyName = this.#pty._pty;
      this.stderr = undefined;
      this.#groupLeader = true;
      // The pty is the one output; its data is pushed below, and its end is the child's exit.
      this.#output.expect(1);
      this.#raw = pty.raw;
      if (pty.raw) this.#rawPending = Buffer.alloc(0);
      this.#pty.onData((data) => {
        let chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        if (this.#rawPending !== undefined) {
          const seen = Buffer.concat([this.#rawPending, chunk]);
          const prefix = seen.subarray(0, RAW_READY.length);
          if (seen.length < RAW_READY.length && RAW_READY.subarray(0, seen.length).equals(seen)) {
            this.#rawPending = seen;
            return;
          }
          // The marker, or (stty failed) whatever the wrapper printed instead: pass that on.
          chunk = prefix.equals(RAW_READY) ? seen.subarray(RAW_READY.length) : seen;
          this.#releaseWrites();
          if (chunk.length === 0) return;
        }
        if (!this.push(chunk)) this.#pty?.pause();
      });
      // node-pty reports the exit once the pty has been read to its end.
      this.#pty.onExit(({ exitCode, signal }) => {
        if (this.#rawPending !== undefined && this.#rawPending.length > 0) {
          this.push(this.#rawPending);
        }
        this.#releaseWrites();
        this.#output.outputDone();
        // The session's leader is gone: hang up what it left running there (its jobs), as a
        // terminal that closes does.
        try {
          process.kill(-this.pid, 'SIGHUP');
        } catch {
          // Nothing left in the group.
        }
        const name = signal ? (SIGNAL_NAMES[signal] ?? (`SIG${signal}` as NodeJS.Signals)) : null;
        onExit({ exitCode: name ? null : exitCode, signal: name });
      });
    } else {
      const child = spawnChild(file, [...args], {
        argv0: command,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        env,
        stdio: ['pipe', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
        detached: options.detached === true,
      });
      this.#child = child;
      this.#groupLeader = options.detached === true;
      this.ttyName = undefined;
      // The checks above make a failed start rare (a race with a deleted file); report it.
      child.once('error', (error) => {
        this.destroy(
          new ExecError(
            `spawn ${JSON.stringify(command)} failed: ${describeSystemError(error)}`,
            command,
            { cause: error },
          ),
        );
        onExit({ exitCode: null, signal: null });
      });
      this.pid = child.pid ?? -1;
      child.once('exit', (exitCode, signal) => onExit({ exitCode, signal }));
      child.stdin!.on('error', () => {
        // EPIPE: the child stopped reading. Its exit tells the rest; writes already failed.
      });
      child.stdin!.on('drain', () => this.emit('childDrain'));
      const outputs: Readable[] = [child.stdout!];
      if (options.stderr === 'merge') outputs.push(child.stderr!);
      this.stderr = options.stderr === 'pipe' ? child.stderr! : undefined;
      this.#output.attach(outputs);
    }
    live.add(this);
    installExitHook();
  }

  /** The exit status once the child has exited (null while it runs, or when a signal ended it). */
  get exitCode(): number | null {
    return this.#exit?.exitCode ?? null;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.#exit?.signal ?? null;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Send a signal to the child (to its process group when it leads one). Quiet once it is gone. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#exit) return;
    if (this.#groupLeader) {
      try {
        process.kill(-this.pid, signal);
        return;
      } catch {
        // No group (it already left it): signal the child alone.
      }
    }
    try {
      process.kill(this.pid, signal);
    } catch {
      // Gone already.
    }
  }

  /**
   * Hang up a pty child (SIGHUP to its process group, as closing a terminal does), SIGKILL after
   * the grace period; resolves when it has exited. For a pipe child, the same as destroy().
   */
  hangUp(): Promise<ChildExit> {
    if (this.#pty && !this.#exit && !this.#killTimer) {
      this.kill('SIGHUP');
      this.#killTimer = setTimeout(() => this.kill('SIGKILL'), this.#killGraceMs);
      this.#killTimer.unref();
    }
    this.destroy();
    return this.exited;
  }

  /** Resize the pty (a pty child only): the child gets SIGWINCH. */
  resize(size: PtySize): void {
    this.#pty?.resize(size.cols, size.rows);
  }

  /** Keep this process alive for the child (true) or not (false). */
  setRef(ref: boolean): void {
    const child = this.#child;
    if (!child || this.#refed === ref) return;
    this.#refed = ref;
    // A piped stderr belongs to the caller, who reads it as a stream: it stays referenced.
    const stderr = this.stderr === undefined ? child.stderr : null;
    const handles = [child, child.stdin, child.stdout, stderr] as Array<{
      ref?: () => void;
      unref?: () => void;
    } | null>;
    for (const handle of handles) {
      if (ref) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  override _read(): void {
    if (this.#pty) this.#pty.resume();
    else {
      this.#child?.stdout?.resume();
      this.#child?.stderr?.resume();
    }
  }

  #releaseWrites(): void {
    this.#rawPending = undefined;
    const held = this.#heldWrites;
    this.#heldWrites = [];
    for (const write of held) write();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void) {
    if (this.#pty) {
      if (this.#rawPending !== undefined) {
        this.#heldWrites.push(() => this._write(chunk, _encoding, callback));
        return;
      }
      if (this.#exit === undefined) this.#pty.write(chunk);
      callback();
      return;
    }
    const stdin = this.#child?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) {
      callback(Object.assign(new Error('the program stopped reading'), { code: 'EPIPE' }));
      return;
    }
    if (stdin.write(chunk)) callback();
    else this.once('childDrain', () => callback());
  }

  /**
   * End of input: the pipe is closed (the child reads EOF). A pty has no half-close: in cooked
   * mode the terminal's end-of-file character (^D) is sent, which ends input for a program
   * reading lines; a raw pty has no end of input at all (^D is a byte there), so nothing is sent.
   */
  override _final(callback: (error?: Error) => void): void {
    if (this.#pty) {
      if (this.#rawPending !== undefined) {
        this.#heldWrites.push(() => this._final(callback));
        return;
      }
      if (this.#exit === undefined && !this.#raw) this.#pty.write('\x04');
      callback();
      return;
    }
    this.#child?.stdin?.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#endChild();
    if (this.#pty === undefined) {
      this.#child?.stdout?.destroy();
      // A piped stderr is the caller's to read to its end; it closes when the child does.
      if (this.stderr === undefined) this.#child?.stderr?.destroy();
      this.#child?.stdin?.destroy();
    }
    callback(error);
  }

  /**
   * SIGTERM, then SIGKILL after the grace period. A child that has already closed its output is
   * most likely exiting on its own: it gets the grace period first, so that its own exit status
   * is the one reported.
   */
  #endChild(): void {
    if (this.#exit || this.#killTimer) return;
    const term = () => {
      this.kill('SIGTERM');
      this.#killTimer = setTimeout(() => this.kill('SIGKILL'), this.#killGraceMs);
      this.#killTimer.unref();
    };
    if (this.#output.ended) {
      this.#killTimer = setTimeout(term, this.#killGraceMs);
      this.#killTimer.unref();
    } else {
      term();
    }
  }
}
