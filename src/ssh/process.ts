/**
 * A Tube over a command run on an SSH server (pwntools' `ssh(...).process()`): the exit status or
 * signal as spawn()'s tube has them, signals and pty resizes as SSH channel requests, and a
 * close() that resolves once the command has exited.
 */
import type { Readable } from 'node:stream';
import type { Endpoint } from '../address/endpoint.js';
import { ArgumentError } from '../errors.js';
import type { ChildExit, PtySize } from '../tube/child-stream.js';
import { describe as describeValue } from '../tube/describe-value.js';
import { checkSize } from '../tube/process.js';
import { Tube, type TubeOptions } from '../tube/tube.js';
import { SSH_SIGNALS, type SshChannelStream } from './channel-stream.js';

export interface SshPtyOptions {
  /** Window size. Default 80 x 24. */
  cols?: number;
  rows?: number;
  /** TERM. Default 'xterm-256color'. */
  term?: string;
  /**
   * Raw mode: the pty is asked for with RFC 4254's terminal modes for no echo, no line editing,
   * no "\n" to "\r\n" translation and no signals from ^C, so the tube sees exactly what the
   * command writes (as spawn()'s pty). Default true; false gives an ordinary cooked terminal.
   */
  raw?: boolean;
}

export interface SshProcessOptions extends TubeOptions {
  /** Run the command on a pseudo-terminal on the server. Default false (shell(): true). */
  pty?: boolean | SshPtyOptions;
  /**
   * Variables to set, sent as SSH "env" requests. The server sets only those its sshd_config
   * `AcceptEnv` lists (OpenSSH's default accepts LANG and LC_*) and drops the others without an
   * answer, as it does for `ssh -o SetEnv`.
   */
  env?: Record<string, string>;
  /**
   * Pipes only: 'merge' (the default) reads stderr through the tube with stdout, 'pipe' keeps it
   * apart in `tube.stderr`, 'inherit' writes it to this process's stderr. On a pty the server
   * writes both to the terminal, so a pty takes only 'merge'.
   */
  stderr?: 'merge' | 'pipe' | 'inherit';
  /** Milliseconds between SIGTERM (SIGHUP for a pty) and SIGKILL when the command must end. Default 1000. */
  killGraceMs?: number;
}

/**
 * An SSH connection as its tubes see it: what SshConnection (ssh/connection.ts, which builds the
 * tubes and so cannot be imported here) offers.
 */
export interface SshSessionHost {
  readonly peerName: string;
  readonly remote: Endpoint | undefined;
  readonly username: string;
  readonly hostKey: { keyType: string; fingerprint: string };
  readonly closed: boolean;
  process(
    command: string | readonly string[],
    options?: SshProcessOptions,
  ): Promise<SshProcessTube>;
  shell(options?: SshShellOptions): Promise<SshProcessTube>;
  close(): Promise<void>;
}

/** shell()'s options: as process()'s, on a pty unless `pty: false`. */
export type SshShellOptions = SshProcessOptions;

export interface CheckedSshProcessOptions {
  pty: { cols: number; rows: number; term: string; raw: boolean } | undefined;
  env: Record<string, string> | undefined;
  stderr: 'merge' | 'pipe' | 'inherit';
  killGraceMs: number;
  tubeOptions: TubeOptions;
}

const DEFAULT_KILL_GRACE_MS = 1000;

/** The session options checked (ArgumentError naming the bad one), the tube's set apart. */
export function checkSshProcessOptions(options: unknown, what: string): CheckedSshProcessOptions {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${what} options must be an object, not ${describeValue(options)}`);
  }
  const {
    pty,
    env,
    stderr = 'merge',
    killGraceMs = DEFAULT_KILL_GRACE_MS,
    ...tubeOptions
  } = options as SshProcessOptions;
  if (stderr !== 'merge' && stderr !== 'pipe' && stderr !== 'inherit') {
    throw new ArgumentError(
      `${what}: stderr must be 'merge', 'pipe' or 'inherit', not ${JSON.stringify(stderr)}`,
    );
  }
  if (pty !== undefined && typeof pty !== 'boolean' && (pty === null || typeof pty !== 'object')) {
    throw new ArgumentError(
      `${what}: pty must be true, false or an object, not ${describeValue(pty)}`,
    );
  }
  if (pty && stderr !== 'merge') {
    throw new ArgumentError(
      `${what}: stderr '${stderr}' cannot be honoured on a pty (the server writes stderr to the terminal); leave it 'merge'`,
    );
  }
  if (typeof killGraceMs !== 'number' || !(killGraceMs >= 0)) {
    throw new ArgumentError(
      `${what}: killGraceMs must be a number >= 0, not ${describeValue(killGraceMs)}`,
    );
  }
  if (env !== undefined) {
    if (env === null || typeof env !== 'object' || Array.isArray(env)) {
      throw new ArgumentError(
        `${what}: env must be an object of strings, not ${describeValue(env)}`,
      );
    }
    for (const [name, value] of Object.entries(env)) {
      if (name === '' || name.includes('=') || typeof value !== 'string') {
        throw new ArgumentError(
          `${what}: env ${JSON.stringify(name)} must be a name without "=" with a string value`,
        );
      }
    }
  }
  const ptyOptions = pty === true ? {} : pty === false || pty === undefined ? undefined : pty;
  return {
    pty:
      ptyOptions === undefined
        ? undefined
        : {
            cols: checkSize(ptyOptions.cols ?? 80, 'cols'),
            rows: checkSize(ptyOptions.rows ?? 24, 'rows'),
            term: ptyOptions.term ?? 'xterm-256color',
            raw: ptyOptions.raw ?? true,
          },
    env,
    stderr,
    killGraceMs,
    tubeOptions,
  };
}

/**
 * A Tube over a remote command. `close()` ends its input (it reads EOF) and resolves once it has
 * exited: it gets `closeTimeout` ms (default 2000) to exit on its own, then SIGTERM, then SIGKILL
 * after `killGraceMs` (a pty session is hung up instead: SIGHUP, then SIGKILL). A tube from
 * sshProcess() then closes its connection too.
 */
export class SshProcessTube extends Tube {
  /** The connection the command runs on. */
  readonly connection: SshSessionHost;
  /** The command's stderr with `stderr: 'pipe'`, else undefined. */
  readonly stderr: Readable | undefined;
  /** True when the command runs on a pty. */
  readonly pty: boolean;
  readonly #stream: SshChannelStream;
  readonly #owned: boolean;
  #closing: Promise<void> | undefined;

  /** @internal Made by SshConnection.process(), shell() and sshProcess(). */
  constructor(
    stream: SshChannelStream,
    options: TubeOptions,
    session: { pty: boolean; connection: SshSessionHost; owned: boolean },
  ) {
    super(stream, options);
    this.#stream = stream;
    this.stderr = stream.stderr;
    this.pty = session.pty;
    this.connection = session.connection;
    this.#owned = session.owned;
    if (session.owned) {
      // Once the command is gone and the channel closed, the connection has nothing left to do.
      const channelClosed = new Promise<void>((resolve) => stream.once('close', resolve));
      void Promise.all([stream.exited, channelClosed]).then(() => session.connection.close());
    }
  }

  /** The exit status once the command exited; null while it runs, or when a signal ended it. */
  get exitCode(): number | null {
    return this.#stream.exitCode;
  }

  /** The signal that ended the command ('SIGTERM', …), or null. */
  get signalCode(): NodeJS.Signals | null {
    return this.#stream.signalCode;
  }

  /** True until the command has exited (or its channel closed). */
  get running(): boolean {
    return this.#stream.running;
  }

  /**
   * Send a signal (default SIGTERM) to the command's process group on the server. The SSH
   * protocol carries ABRT, ALRM, FPE, HUP, ILL, INT, KILL, PIPE, QUIT, SEGV, TERM, USR1, USR2.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    const name = typeof signal === 'string' ? signal.replace(/^SIG/, '') : '';
    if (!SSH_SIGNALS.has(name)) {
      throw new ArgumentError(
        `kill over SSH takes one of ${[...SSH_SIGNALS].map((s) => `SIG${s}`).join(', ')}, not ${typeof signal === 'string' ? JSON.stringify(signal) : describeValue(signal)}`,
      );
    }
    this.#stream.signal(name);
  }

  /** Resolves with the exit status and signal once the command has exited. */
  wait(): Promise<ChildExit> {
    return this.#stream.exited;
  }

  /** Resize the remote pty (the command gets SIGWINCH); ArgumentError without a pty. */
  resize(size: PtySize): void {
    if (!this.pty) throw new ArgumentError('resize needs a pty session (pty: true)');
    if (size === null || typeof size !== 'object') {
      throw new ArgumentError(`resize needs { cols, rows }, not ${describeValue(size)}`);
    }
    this.#stream.resize(checkSize(size.cols, 'cols'), checkSize(size.rows, 'rows'));
  }

  /**
   * Pipes: ends the command's input, then resolves when it has exited (see the class). A pty:
   * hangs up (SIGHUP, SIGKILL after `killGraceMs`). Then, for sshProcess()'s tube, closes the
   * connection. Idempotent.
   */
  override close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.pty) {
        await this.#stream.terminate('HUP');
        this.destroy();
      } else {
        await super.close();
        await this.#stream.exited;
      }
      if (this.#owned) await this.connection.close();
    })();
    return this.#closing;
  }
}
