/**
 * spawn(): a Tube over a local program (pwntools' process()), on pipes or on a pseudo-terminal.
 */
import type { Readable } from 'node:stream';
import { ArgumentError } from '../errors.js';
import { type ChildExit, ChildStream, type PtySize } from './child-stream.js';
import { describe as describeValue } from './describe-value.js';
import { onTubeActivity, Tube, type TubeOptions } from './tube.js';

export interface SpawnPtyOptions {
  /** Window size. Default 80 x 24. */
  cols?: number;
  rows?: number;
  /** TERM. Default 'xterm-256color'. */
  term?: string;
  /**
   * Raw mode: no echo, no line editing, no "\n" to "\r\n" translation, ^C is a byte and not a
   * signal, so the tube sees exactly what the program writes (pwntools' default for a pty).
   * Default true; false gives an ordinary cooked terminal with echo, as a shell session has.
   */
  raw?: boolean;
}

export interface SpawnOptions extends TubeOptions {
  /**
   * Run the program on a pseudo-terminal, as its controlling terminal in a new session, so that
   * stdio is line-buffered and isatty() is true (needs the optional node-pty). Default false.
   */
  pty?: boolean | SpawnPtyOptions;
  /** The environment. Default: this process's. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * Pipes only: 'merge' (the default, as pwntools does) reads stderr through the tube with stdout,
   * 'pipe' keeps it apart in `tube.stderr`, 'inherit' writes it to this process's stderr. A pty
   * child writes both to the terminal, so a pty takes only 'merge'.
   */
  stderr?: 'merge' | 'pipe' | 'inherit';
  /** Milliseconds between SIGTERM and SIGKILL when the child has to be ended. Default 1000. */
  killGraceMs?: number;
}

const DEFAULT_KILL_GRACE_MS = 1000;

/**
 * A Tube over a child process. `close()` ends the child's input and resolves once the child has
 * exited: it gets `closeTimeout` ms (default 2000) to exit on its own, then SIGTERM, then SIGKILL
 * (a pty child is hung up instead: SIGHUP, then SIGKILL).
 * While nothing waits on the tube, the child does not keep this process alive, and when this
 * process exits, children still running are killed.
 */
export class ProcessTube extends Tube {
  /** The child's process id. */
  readonly pid: number;
  /** For a pty child, the terminal's device ('/dev/pts/3'); else undefined. */
  readonly ttyName: string | undefined;
  /** The child's stderr with `stderr: 'pipe'`, else undefined. */
  readonly stderr: Readable | undefined;
  readonly #child: ChildStream;
  #closing = false;

  constructor(child: ChildStream, options: TubeOptions) {
    super(child, options);
    this.#child = child;
    this.pid = child.pid;
    this.ttyName = child.ttyName;
    this.stderr = child.stderr;
    child.setRef(false);
    onTubeActivity(this, (busy) => child.setRef(busy || this.#closing));
  }

  /** The exit status once the child exited; null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  /** The signal that ended the child ('SIGTERM', …), or null. */
  get signalCode(): NodeJS.Signals | null {
    return this.#child.signalCode;
  }

  /** True while the child runs. */
  get running(): boolean {
    return this.#child.running;
  }

  /** Send a signal (default SIGTERM); to the whole process group of a pty child. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (typeof signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(signal)) {
      throw new ArgumentError(
        `kill needs a signal name such as 'SIGTERM', not ${describeValue(signal)}`,
      );
    }
    this.#child.kill(signal);
  }

  /** Resolves with the exit status and signal once the child has exited. */
  wait(): Promise<ChildExit> {
    this.#child.setRef(true);
    return this.#child.exited;
  }

  /** Resize the terminal of a pty child (it gets SIGWINCH); ArgumentError without a pty. */
  resize(size: PtySize): void {
    if (this.ttyName === undefined)
      throw new ArgumentError('resize needs a pty child (spawn with pty)');
    checkSize(size.cols, 'cols');
    checkSize(size.rows, 'rows');
    this.#child.resize(size);
  }

  /**
   * Pipes: ends the child's input, then resolves when the child has exited (see the class).
   * A pty: hangs up, as closing a terminal does (SIGHUP to the child's process group, SIGKILL
   * after `killGraceMs`), and resolves when it has exited.
   */
  override async close(): Promise<void> {
    this.#closing = true;
    this.#child.setRef(true);
    if (this.ttyName !== undefined) {
      await this.#child.hangUp();
      this.destroy();
      return;
    }
    await super.close();
    await this.#child.exited;
  }

  override destroy(): void {
    this.#closing = true;
    this.#child.setRef(true);
    super.destroy();
  }
}

/** A pty dimension (1 to 65535), or an ArgumentError naming it. */
export function checkSize(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) {
    return value;
  }
  throw new ArgumentError(
    `pty ${what} must be an integer from 1 to 65535, not ${describeValue(value)}`,
  );
}

/**
 * Start `command` with `args` (no shell; the program is found on PATH as execvp does) and return
 * a Tube over it. Throws ExecError when the program cannot be run, ArgumentError for bad options,
 * UnsupportedError for a pty without node-pty.
 */
export function spawn(
  command: string,
  args: readonly string[] = [],
  options: SpawnOptions = {},
): ProcessTube {
  if (typeof command !== 'string' || command === '') {
    throw new ArgumentError(
      `spawn needs a program (a non-empty string), not ${describeValue(command)}`,
    );
  }
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string')) {
    throw new ArgumentError('spawn: args must be an array of strings');
  }
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`spawn options must be an object, not ${describeValue(options)}`);
  }
  const { pty, env, cwd, stderr = 'merge', killGraceMs, ...tubeOptions } = options;
  if (stderr !== 'merge' && stderr !== 'pipe' && stderr !== 'inherit') {
    throw new ArgumentError(
      `spawn: stderr must be 'merge', 'pipe' or 'inherit', not ${JSON.stringify(stderr)}`,
    );
  }
  if (pty && stderr !== 'merge') {
    throw new ArgumentError(
      `spawn: stderr '${stderr}' cannot be honoured on a pty (the program writes stderr to the terminal); leave it 'merge'`,
    );
  }
  if (cwd !== undefined && typeof cwd !== 'string') {
    throw new ArgumentError(`spawn: cwd must be a string, not ${describeValue(cwd)}`);
  }
  if (env !== undefined && (env === null || typeof env !== 'object')) {
    throw new ArgumentError(`spawn: env must be an object, not ${describeValue(env)}`);
  }
  const grace = killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  if (typeof grace !== 'number' || !(grace >= 0)) {
    throw new ArgumentError(
      `spawn: killGraceMs must be a number >= 0, not ${describeValue(grace)}`,
    );
  }
  if (pty !== undefined && typeof pty !== 'boolean' && (pty === null || typeof pty !== 'object')) {
    throw new ArgumentError(
      `spawn: pty must be true, false or an object, not ${describeValue(pty)}`,
    );
  }
  const ptyOptions = pty === true ? {} : pty === false ? undefined : pty;
  const child = new ChildStream(command, args, {
    ...(env === undefined ? {} : { env }),
    ...(cwd === undefined ? {} : { cwd }),
    stderr,
    killGraceMs: grace,
    ...(ptyOptions === undefined
      ? {}
      : {
          pty: {
            cols: checkSize(ptyOptions.cols ?? 80, 'cols'),
            rows: checkSize(ptyOptions.rows ?? 24, 'rows'),
            term: ptyOptions.term ?? 'xterm-256color',
            raw: ptyOptions.raw ?? true,
          },
        }),
  });
  return new ProcessTube(child, tubeOptions);
}
