import {
  AbortError,
  ClosedError,
  ConnectError,
  ConnectionRefusedError,
  ConnectionResetError,
  EOFError,
  type ErrorContext,
  ListenError,
  type Network,
  type Operation,
  PermissionError,
  SockcatError,
  TimeoutError,
  UnsupportedError,
} from '../errors.js';
import type { NativeAddon, NativeAddress, NativePoller } from '../native/load.js';
import { type Waiter, waitInQueue } from '../tube/wait-queue.js';

/** Where a message came from or goes to: a Unix socket path (`@name`: abstract), or an IP host. */
export type SocketAddress = { path: string } | { address: string; port: number; family: 4 | 6 };

/** One message, with its boundaries kept. */
export interface Message {
  data: Buffer;
  /** The sender, when the socket type reports one (datagram and raw sockets). */
  from: SocketAddress | undefined;
  /** The message was longer than the socket's `maxMessageSize`; the rest was dropped. */
  truncated: boolean;
}

export interface ReceiveOptions {
  /** Milliseconds to wait; the default waits forever. */
  timeout?: number;
  signal?: AbortSignal;
}

interface Writer {
  data: Buffer;
  to: NativeAddress | undefined;
  resolve(): void;
  reject(error: Error): void;
}

export interface MessageSocketOptions {
  network: Network;
  /** For messages: what this socket is, e.g. `Unix datagram socket @x`. */
  describe: () => string;
  /** Largest message received whole; longer ones are truncated (default 65,536). */
  maxMessageSize?: number;
  /** A zero-length message is the end of the stream (seqpacket sockets). */
  zeroIsEnd?: boolean;
  /**
   * The socket is connected: messages are read in batches (one recvmmsg for up to 64) and their
   * sender is this address (undefined for seqpacket connections).
   */
  connectedTo?: SocketAddress | 'connection';
}

/** Messages taken from the kernel in one call when the socket is connected. */
const BATCH = 64;

const DEFAULT_MAX_MESSAGE = 65_536;

/**
 * A socket made by the native addon, with message semantics: every receive returns one whole
 * message, every send one message. It waits for readiness on the event loop through a Poller
 * (no thread, no polling loop) and only while something waits, so an idle socket does not keep
 * the process alive. Receives complete in call order; sends are queued in order when the
 * socket buffer is full.
 */
export class MessageSocket implements AsyncIterable<Message> {
  readonly #addon: NativeAddon;
  readonly #options: MessageSocketOptions;
  readonly #maxSize: number;
  #fd: number;
  #poller: NativePoller;
  #readers: Waiter<Message>[] = [];
  #writers: Writer[] = [];
  #closed = false;
  #ended = false;
  #watching = { readable: false, writable: false };
  /** Messages read ahead in a batch, handed out before the kernel is asked again. */
  #inbox: Message[] = [];
  #inboxHead = 0;
  #connectedTo: SocketAddress | 'connection' | undefined;
  /** Readable polling kept on after the last reader was served (see #watch). */
  #lingering = false;
  #refed = true;

  constructor(addon: NativeAddon, fd: number, options: MessageSocketOptions) {
    this.#addon = addon;
    this.#fd = fd;
    this.#options = options;
    this.#maxSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    this.#poller = new addon.Poller(fd, this.#onReady);
    this.#connectedTo = options.connectedTo;
  }

  /** The file descriptor (-1 once closed). */
  get fd(): number {
    return this.#closed ? -1 : this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** This end's address. */
  get local(): SocketAddress | undefined {
    if (this.#closed) return undefined;
    return toSocketAddress(this.#addon.getsockname(this.#fd));
  }

  /** The connected peer's address, if connected. */
  get remote(): SocketAddress | undefined {
    if (this.#closed) return undefined;
    const peer = this.#addon.getpeername(this.#fd);
    return peer ? toSocketAddress(peer) : undefined;
  }

  /**
   * Receive one message. A seqpacket socket whose peer has closed rejects with EOFError; a
   * timeout or abort consumes nothing.
   */
  receive(options: ReceiveOptions = {}): Promise<Message> {
    if (this.#closed) return Promise.reject(this.#closedError('receive'));
    if (options.signal?.aborted) return Promise.reject(this.#abortError());
    if (this.#readers.length === 0) {
      try {
        const message = this.#tryReceive();
        if (message) return Promise.resolve(message);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const received = waitInQueue(this.#readers, {
      signal: options.signal,
      timeout: options.timeout,
      aborted: () => this.#abortError(),
      timedOut: (ms) =>
        new TimeoutError(
          `receive on ${this.#options.describe()} timed out after ${ms} ms`,
          ms,
          this.#context('receive'),
        ),
      onCancel: () => this.#watch(),
    });
    this.#watch();
    return received;
  }

  /**
   * Send one message, to `to` on an unconnected socket. Resolves once the kernel took it;
   * waits when the socket buffer (or a Unix datagram peer's queue) is full. Aborting `signal`
   * while it waits withdraws the message (AbortError), so that later sends can go.
   */
  send(
    data: string | Uint8Array,
    to?: SocketAddress,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError('send'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(this.#abortError('send'));
    const buffer =
      typeof data === 'string'
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const address = to ? toNativeAddress(to) : undefined;
    if (this.#writers.length === 0) {
      try {
        if (this.#trySend(buffer, address)) return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#writers.indexOf(writer);
        if (index === -1) return;
        this.#writers.splice(index, 1);
        this.#watch();
        reject(this.#abortError('send'));
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const writer: Writer = {
        data: buffer,
        to: address,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#writers.push(writer);
      this.#watch();
    });
  }

  /**
   * Connect a datagram socket to one peer: send() then needs no address, and only that peer's
   * messages are received.
   */
  connect(to: SocketAddress): void {
    if (this.#closed) throw this.#closedError('connect');
    const address = toNativeAddress(to);
    try {
      this.#addon.connect(this.#fd, address);
    } catch (error) {
      throw this.#systemError('connect', error, address);
    }
    this.#connectedTo = to;
    // Messages already read ahead from other senders are dropped: the kernel would not have
    // delivered them to a connected socket.
    const pending = this.#inbox.slice(this.#inboxHead);
    this.#inbox = pending.filter((message) => sameAddress(message.from, to));
    this.#inboxHead = 0;
  }

  /** Stop sending (seqpacket and connected sockets): the peer reads the end of the stream. */
  shutdown(): void {
    if (this.#closed) return;
    this.#addon.shutdown(this.#fd, 1);
  }

  /** Set an integer socket option (level and name from the addon's constants). */
  setOption(level: number, name: number, value: number): void {
    if (this.#closed) throw this.#closedError('setsockopt');
    try {
      this.#addon.setsockoptInt(this.#fd, level, name, value);
    } catch (error) {
      throw this.#systemError('setsockopt', error);
    }
  }

  getOption(level: number, name: number): number {
    if (this.#closed) throw this.#closedError('setsockopt');
    return this.#addon.getsockoptInt(this.#fd, level, name);
  }

  /** Close now: pending receives and sends fail with ClosedError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.close();
    this.#addon.close(this.#fd);
    this.#failAll(this.#closedError('receive'));
  }

  /** Messages until the end of the stream (seqpacket) or close(). A plain iterator: one promise per message. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const onMessage = (value: Message): IteratorYieldResult<Message> => ({ done: false, value });
    const onError = (error: unknown): IteratorReturnResult<undefined> => {
      if (error instanceof EOFError || error instanceof ClosedError) return done;
      throw error;
    };
    return {
      next: () => this.receive().then(onMessage, onError),
      return: () => Promise.resolve(done),
    };
  }

  #onReady = (status: number, readable: boolean, writable: boolean): void => {
    if (this.#closed) return;
    if (status < 0) {
      // The poll itself failed (the fd went bad): nothing more will work.
      this.#failAll(
        new SockcatError(
          'SOCKCAT_CLOSED',
          `${this.#options.describe()} failed (poll status ${status})`,
          this.#context('receive'),
        ),
      );
      this.close();
      return;
    }
    if (readable) {
      // Nobody waits: stop polling until someone does (the data stays in the kernel).
      if (this.#readers.length === 0) this.#lingering = false;
      while (this.#readers.length > 0) {
        let message: Message | undefined;
        try {
          message = this.#tryReceive();
        } catch (error) {
          this.#readers.shift()!.reject(error as Error);
          continue;
        }
        if (!message) break;
        this.#readers.shift()!.resolve(message);
      }
    }
    if (writable) {
      while (this.#writers.length > 0) {
        const writer = this.#writers[0]!;
        let sent: boolean;
        try {
          sent = this.#trySend(writer.data, writer.to);
        } catch (error) {
          this.#writers.shift();
          writer.reject(error as Error);
          continue;
        }
        if (!sent) break;
        this.#writers.shift();
        writer.resolve();
      }
    }
    this.#watch();
  };

  /** A message if one is waiting; throws EOFError at the end of a seqpacket stream. */
  #tryReceive(): Message | undefined {
    if (this.#inboxHead < this.#inbox.length) {
      const message = this.#inbox[this.#inboxHead++]!;
      if (this.#inboxHead === this.#inbox.length) {
        this.#inbox = [];
        this.#inboxHead = 0;
      }
      return message;
    }
    if (this.#ended) throw this.#eofError();
    if (this.#connectedTo !== undefined || this.#options.network === 'unixgram') {
      return this.#receiveBatch(this.#connectedTo);
    }
    let message: ReturnType<NativeAddon['recv']>;
    try {
      message = this.#addon.recv(this.#fd, this.#maxSize);
    } catch (error) {
      throw this.#systemError('receive', error);
    }
    if (!message) return undefined;
    if (this.#options.zeroIsEnd && message.data.length === 0) {
      this.#ended = true;
      throw this.#eofError();
    }
    return {
      data: message.data,
      from: message.address ? toSocketAddress(message.address) : undefined,
      truncated: message.truncated,
    };
  }

  /**
   * Read what is waiting in one call, keep it in the inbox, hand out the first message. A
   * connected socket's messages all come from its peer; otherwise (Unix datagrams) each one's
   * sender is read too.
   */
  #receiveBatch(connectedTo: SocketAddress | 'connection' | undefined): Message | undefined {
    let batch: ReturnType<NativeAddon['recvMany']>;
    try {
      batch = this.#addon.recvMany(this.#fd, this.#maxSize, BATCH, connectedTo === undefined);
    } catch (error) {
      throw this.#systemError('receive', error);
    }
    if (!batch) return undefined;
    const peer = connectedTo === 'connection' ? undefined : connectedTo;
    const { data, lengths, senders, truncated: cut } = batch;
    let offset = 0;
    for (const [index, length] of lengths.entries()) {
      if (this.#options.zeroIsEnd && length === 0) {
        this.#ended = true;
        break;
      }
      const message = data.subarray(offset, offset + length);
      offset += length;
      const sender = senders?.[index];
      this.#inbox.push({
        data: message,
        from: senders ? (sender ? toSocketAddress(sender) : undefined) : peer,
        truncated: cut?.includes(index) === true,
      });
    }
    if (this.#inbox.length === 0) throw this.#eofError();
    return this.#tryReceive();
  }

  #trySend(data: Buffer, to: NativeAddress | undefined): boolean {
    try {
      return this.#addon.send(this.#fd, data, to ?? null) >= 0;
    } catch (error) {
      throw this.#systemError('send', error, to);
    }
  }

  /**
   * Poll for what someone waits for. Readable polling is stopped lazily (by #onReady, when it
   * fires with nobody waiting), so that a consumer reading message after message does not add
   * and remove the fd from epoll each time; meanwhile the poller is unref'd, so an idle socket
   * never holds the process open.
   */
  #watch(): void {
    if (this.#closed) return;
    const wantReadable = this.#readers.length > 0;
    const wantWritable = this.#writers.length > 0;
    if (wantReadable) this.#lingering = true;
    const readable = wantReadable || this.#lingering;
    if (readable !== this.#watching.readable || wantWritable !== this.#watching.writable) {
      this.#watching = { readable, writable: wantWritable };
      this.#poller.start(readable, wantWritable);
    }
    const refed = wantReadable || wantWritable;
    if (refed !== this.#refed) {
      this.#refed = refed;
      if (refed) this.#poller.ref();
      else this.#poller.unref();
    }
  }

  #failAll(error: Error): void {
    const readers = this.#readers.splice(0);
    const writers = this.#writers.splice(0);
    for (const reader of readers) reader.reject(error);
    for (const writer of writers) writer.reject(error);
  }

  #context(op: Operation): ErrorContext {
    return { op, network: this.#options.network };
  }

  #closedError(op: Operation): ClosedError {
    return new ClosedError(
      `${op} on ${this.#options.describe()}: socket is closed`,
      this.#context(op),
    );
  }

  #abortError(op: 'receive' | 'send' = 'receive'): AbortError {
    return new AbortError(`${op} on ${this.#options.describe()} aborted`, this.#context(op));
  }

  #eofError(): EOFError {
    return new EOFError(
      `receive on ${this.#options.describe()}: end of stream`,
      this.#context('receive'),
    );
  }

  #systemError(op: Operation, error: unknown, to?: NativeAddress): SockcatError {
    return systemError(
      `${op} on ${this.#options.describe()}${to ? ` to ${formatAddress(to)}` : ''}`,
      error,
      this.#context(op),
    );
  }
}

/**
 * A system error from the addon as a SockcatError: refused, reset and permission errors get
 * their own classes; the system error stays on `cause`.
 */
export function systemError(what: string, error: unknown, context: ErrorContext): SockcatError {
  if (error instanceof SockcatError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (error as Error | undefined)?.message?.replace(/^\w+ \w+ \((.*)\)$/, '$1') ?? String(error);
  const full = { ...context, cause: error };
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(`${what} failed: Connection refused`, full);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionResetError(`${what} failed: ${reason}`, full);
    case 'EPERM':
    case 'EACCES':
      return new PermissionError(`${what} failed: ${reason}`, full);
    case 'EAFNOSUPPORT':
    case 'EPROTONOSUPPORT':
    case 'ESOCKTNOSUPPORT':
    case 'EOPNOTSUPP':
      return new UnsupportedError(`${what} failed: ${reason}`, full);
    default:
      return context.op === 'bind'
        ? new ListenError(`${what} failed: ${reason}`, full)
        : new ConnectError(`${what} failed: ${reason}`, full);
  }
}

export function toNativeAddress(address: SocketAddress): NativeAddress {
  return 'path' in address
    ? { path: address.path }
    : { address: address.address, port: address.port };
}

export function toSocketAddress(address: NativeAddress): SocketAddress | undefined {
  if ('path' in address) return { path: address.path };
  if ('address' in address) {
    return { address: address.address, port: address.port, family: address.family === 6 ? 6 : 4 };
  }
  return undefined;
}

export function formatAddress(address: NativeAddress | SocketAddress): string {
  if ('path' in address) return address.path === '' ? '(unnamed)' : address.path;
  if ('address' in address) {
    return address.address.includes(':')
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }
  return '(unknown)';
}

function sameAddress(a: SocketAddress | undefined, b: SocketAddress): boolean {
  if (!a) return false;
  if ('path' in a || 'path' in b) return 'path' in a && 'path' in b && a.path === b.path;
  return a.address === b.address && a.port === b.port;
}
