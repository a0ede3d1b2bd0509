import { unlinkSync } from 'node:fs';
import { checkUnixPath } from '../address/unix-path.js';
import { AbortError, ClosedError, TimeoutError } from '../errors.js';
import { type NativeAddon, type NativePoller, requireNative } from '../native/load.js';
import { type Waiter, waitInQueue } from '../tube/wait-queue.js';
import { MessageSocket, systemError } from './message-socket.js';

export interface SeqpacketOptions {
  /** Largest message received whole (default 65,536 bytes). */
  maxMessageSize?: number;
}

const FEATURE = 'Unix seqpacket sockets';

function seqpacketSocket(addon: NativeAddon, fd: number, name: string, options: SeqpacketOptions) {
  return new MessageSocket(addon, fd, {
    network: 'unixpacket',
    describe: () => `seqpacket socket ${name}`,
    zeroIsEnd: true,
    connectedTo: 'connection',
    ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
  });
}

/**
 * Connect a Unix SOCK_SEQPACKET socket: a connection, like a stream, that keeps message
 * boundaries, like datagrams. receive() returns one whole message; EOFError once the peer
 * closed. Needs the native addon.
 */
export async function connectSeqpacket(
  path: string,
  options: SeqpacketOptions = {},
): Promise<MessageSocket> {
  checkUnixPath(path);
  const addon = requireNative(FEATURE);
  const fd = addon.socket(addon.constants.AF_UNIX, addon.constants.SOCK_SEQPACKET, 0);
  try {
    // A Unix connect completes at once, or fails (refused, missing, backlog full: EAGAIN).
    if (!addon.connect(fd, { path })) {
      throw Object.assign(new Error('connect EAGAIN (Resource temporarily unavailable)'), {
        code: 'EAGAIN',
      });
    }
  } catch (error) {
    addon.close(fd);
    throw systemError(`connect to ${path}`, error, { op: 'connect', network: 'unixpacket' });
  }
  return seqpacketSocket(addon, fd, path, options);
}

/** A listening seqpacket socket: accept() hands out one MessageSocket per client. */
export class SeqpacketListener {
  readonly path: string;
  readonly #addon: NativeAddon;
  readonly #options: SeqpacketOptions;
  #fd: number;
  #poller: NativePoller;
  #waiting: Waiter<MessageSocket>[] = [];
  #closed = false;

  constructor(addon: NativeAddon, fd: number, path: string, options: SeqpacketOptions) {
    this.#addon = addon;
    this.#fd = fd;
    this.path = path;
    this.#options = options;
    this.#poller = new addon.Poller(fd, () => this.#drain());
  }

  /** The next client; waits for one (at most `timeout` ms when given). */
  accept(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<MessageSocket> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const accepted = waitInQueue(this.#waiting, {
      signal: options.signal,
      timeout: options.timeout,
      aborted: () => this.#abortError(),
      timedOut: (ms) =>
        new TimeoutError(`accept on ${this.path} timed out after ${ms} ms`, ms, {
          op: 'accept',
          network: 'unixpacket',
        }),
      onCancel: () => this.#watch(),
    });
    this.#drain();
    return accepted;
  }

  /** Stop listening; pending accepts fail with ClosedError. The socket file is removed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.close();
    this.#addon.close(this.#fd);
    if (!this.path.startsWith('@')) {
      try {
        unlinkSync(this.path);
      } catch {}
    }
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#closedError());
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MessageSocket> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ClosedError) return;
        throw error;
      }
    }
  }

  #drain(): void {
    if (this.#closed) return;
    while (this.#waiting.length > 0) {
      let client: ReturnType<NativeAddon['accept']>;
      try {
        client = this.#addon.accept(this.#fd);
      } catch (error) {
        this.#waiting
          .shift()!
          .reject(
            systemError(`accept on ${this.path}`, error, { op: 'accept', network: 'unixpacket' }),
          );
        continue;
      }
      if (!client) break;
      this.#waiting
        .shift()!
        .resolve(seqpacketSocket(this.#addon, client.fd, `client of ${this.path}`, this.#options));
    }
    this.#watch();
  }

  #watch(): void {
    if (!this.#closed) this.#poller.start(this.#waiting.length > 0, false);
  }

  #closedError(): ClosedError {
    return new ClosedError(`seqpacket listener ${this.path} is closed`, {
      op: 'accept',
      network: 'unixpacket',
    });
  }

  #abortError(): AbortError {
    return new AbortError(`accept on ${this.path} aborted`, {
      op: 'accept',
      network: 'unixpacket',
    });
  }
}

/** Listen on a Unix seqpacket socket at `path` (`@name`: abstract). */
export async function listenSeqpacket(
  path: string,
  options: SeqpacketOptions & { backlog?: number } = {},
): Promise<SeqpacketListener> {
  checkUnixPath(path);
  const addon = requireNative(FEATURE);
  const fd = addon.socket(addon.constants.AF_UNIX, addon.constants.SOCK_SEQPACKET, 0);
  try {
    addon.bind(fd, { path });
    addon.listen(fd, options.backlog ?? 511);
  } catch (error) {
    addon.close(fd);
    throw systemError(`listen on ${path}`, error, { op: 'bind', network: 'unixpacket' });
  }
  return new SeqpacketListener(addon, fd, path, options);
}
