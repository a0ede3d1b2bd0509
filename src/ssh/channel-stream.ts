/**
 * An SSH session channel (ssh2's ClientChannel) as the one Duplex a Tube reads: writes go to the
 * remote command's input, reads come from its output (with stderr when merged). The stream ends
 * when the output has ended, and closes once the channel has closed, so whoever waits for 'close'
 * waits for the remote command. Destroying it ends the command: SIGTERM (an SSH "signal"
 * request), SIGKILL after a grace period, then the channel is closed.
 */
import { Duplex, type Readable } from 'node:stream';
import type { ChildExit } from '../tube/child-stream.js';
import { MergedOutput } from '../tube/merged-output.js';

/** The parts of ssh2's ClientChannel used here (ssh2's own types stay out of the public API). */
export interface SshChannel extends Duplex {
  readonly stderr: Readable;
  close(): void;
  signal(name: string): void;
  setWindow(rows: number, cols: number, height: number, width: number): void;
  readonly outgoing?: { id: number; state: string };
  readonly _client?: {
    _protocol?: {
      signal?(id: number, name: string): void;
      windowChange?(id: number, rows: number, cols: number, height: number, width: number): void;
    };
  };
}

export interface SshChannelStreamOptions {
  /** Where the command's stderr goes: merged into the output, a pipe, or this process's stderr. */
  stderr: 'merge' | 'pipe' | 'inherit';
  /** Milliseconds between SIGTERM and SIGKILL, and between SIGKILL and closing the channel. */
  killGraceMs: number;
  /** The connection's failure, if it failed: a channel closed by it fails the stream with this. */
  connectionError: () => Error | undefined;
}

/** Signals the SSH protocol can carry (RFC 4254 section 6.10), without their "SIG". */
export const SSH_SIGNALS: ReadonlySet<string> = new Set([
  'ABRT',
  'ALRM',
  'FPE',
  'HUP',
  'ILL',
  'INT',
  'KILL',
  'PIPE',
  'QUIT',
  'SEGV',
  'TERM',
  'USR1',
  'USR2',
]);

export class SshChannelStream extends Duplex {
  /** The command's stderr with `stderr: 'pipe'`, else undefined. */
  readonly stderr: Readable | undefined;
  /** Resolves when the command has exited, or the channel closed without saying (never rejects). */
  readonly exited: Promise<ChildExit>;

  #channel: SshChannel;
  #exit: ChildExit | undefined;
  #resolveExit!: (exit: ChildExit) => void;
  /** The channel's data (with its stderr when merged): this stream's readable side. */
  #output: MergedOutput;
  #channelClosed = false;
  #killGraceMs: number;
  #timers: NodeJS.Timeout[] = [];
  #ending = false;

  constructor(channel: SshChannel, options: SshChannelStreamOptions) {
    super({ allowHalfOpen: true, autoDestroy: false });
    this.#output = new MergedOutput(this);
    this.#channel = channel;
    this.#killGraceMs = options.killGraceMs;
    this.exited = new Promise<ChildExit>((resolve) => {
      this.#resolveExit = resolve;
    });
    channel.on('exit', (code: number | null, signal?: string) => {
      this.#exited({
        exitCode: typeof code === 'number' ? code : null,
        signal: typeof signal === 'string' ? (signal as NodeJS.Signals) : null,
      });
    });
    channel.on('close', () => {
      this.#channelClosed = true;
      for (const timer of this.#timers) clearTimeout(timer);
      const failure = options.connectionError();
      this.#exited({ exitCode: null, signal: null });
      if (failure && !this.#output.ended && !this.destroyed) {
        this.destroy(failure);
        return;
      }
      this.#output.sourceGone();
    });
    // Write errors arrive on the channel; the tube learns of them through 'close' and its sends.
    channel.on('error', (error: Error) => {
      if (!this.destroyed) this.destroy(error);
    });
    channel.on('drain', () => this.emit('channelDrain'));
    const outputs: Readable[] = [channel];
    if (options.stderr === 'merge') outputs.push(channel.stderr);
    else if (options.stderr === 'inherit') channel.stderr.pipe(process.stderr, { end: false });
    this.stderr = options.stderr === 'pipe' ? channel.stderr : undefined;
    this.#output.attach(outputs);
  }

  get exitCode(): number | null {
    return this.#exit?.exitCode ?? null;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.#exit?.signal ?? null;
  }

  get running(): boolean {
    return this.#exit === undefined && !this.#channelClosed;
  }

  /**
   * Send a signal ('TERM', no "SIG") to the remote command. The request is sent after our end of
   * input too (RFC 4254 allows it; ssh2's own signal() does not). False once the channel closed.
   */
  signal(name: string): boolean {
    const channel = this.#channel;
    const state = channel.outgoing?.state;
    if (this.#channelClosed || (state !== 'open' && state !== 'eof')) return false;
    const protocol = channel._client?._protocol;
    if (channel.outgoing && typeof protocol?.signal === 'function') {
      protocol.signal(channel.outgoing.id, name);
    } else {
      channel.signal(name);
    }
    return true;
  }

  /** Tell the remote pty its new size (a "window-change" request). */
  resize(cols: number, rows: number): void {
    const channel = this.#channel;
    const state = channel.outgoing?.state;
    if (this.#channelClosed || (state !== 'open' && state !== 'eof')) return;
    const protocol = channel._client?._protocol;
    if (channel.outgoing && typeof protocol?.windowChange === 'function') {
      protocol.windowChange(channel.outgoing.id, rows, cols, 0, 0);
    } else {
      channel.setWindow(rows, cols, 0, 0);
    }
  }

  /**
   * End the remote command: `first` (SIGTERM, or SIGHUP for a pty), SIGKILL after the grace
   * period, and the channel closed after another; resolves when it has exited or the channel
   * has closed.
   */
  terminate(first: 'TERM' | 'HUP'): Promise<ChildExit> {
    if (this.#ending || this.#channelClosed) return this.exited;
    this.#ending = true;
    const grace = this.#killGraceMs;
    const close = () => this.#channel.close();
    if (this.#exit !== undefined || !this.signal(first)) {
      close();
      return this.exited;
    }
    const kill = setTimeout(() => {
      this.signal('KILL');
      const last = setTimeout(close, grace);
      last.unref();
      this.#timers.push(last);
    }, grace);
    kill.unref();
    this.#timers.push(kill);
    return this.exited;
  }

  override _read(): void {
    this.#channel.resume();
    this.#channel.stderr.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void) {
    const channel = this.#channel;
    if (this.#channelClosed || channel.writableEnded || channel.destroyed) {
      callback(Object.assign(new Error('the remote command stopped reading'), { code: 'EPIPE' }));
      return;
    }
    if (channel.write(chunk)) callback();
    else this.once('channelDrain', () => callback());
  }

  /** End of input: an SSH EOF on the channel (the remote command reads end of file). */
  override _final(callback: (error?: Error) => void): void {
    if (!this.#channelClosed) this.#channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#exit === undefined) void this.terminate('TERM');
    else this.#channel.close();
    callback(error);
  }

  #exited(exit: ChildExit): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#resolveExit(exit);
    // The command is gone: whatever a kill sequence still had to do is moot but the close.
    if (this.#ending) {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#channel.close();
    }
  }
}
