import { formatHostPort } from '../address/host-port.js';
import { ClosedError, type SockcatError } from '../errors.js';
import type { ProxyHeader } from '../proxy-protocol/index.js';
import type { Listener } from '../transports/tcp-listen.js';

/** What the engine needs of a listener: TCP, Unix, TLS or WebSocket. */
export type Acceptor = Pick<Listener, 'accept' | 'close'> & Partial<Pick<Listener, 'deliverTo'>>;

import type { Endpoint, Tube } from '../tube/tube.js';
import { readProxyHeader } from './proxy-header.js';
import type { ConnectionInfo, Handler, Overflow } from './types.js';

export interface EngineOptions {
  handler: Handler;
  /** Connections served at once by this engine; Infinity for no limit. */
  maxConnections: number;
  overflow: Overflow;
  proxyProtocol: boolean | 'optional';
  proxyTimeout: number;
  worker: string;
  onError: (error: Error, info: { remote: Endpoint; worker: string }) => void;
  /** Access control on the socket's peer: false resets the connection before the handler. */
  allow?: ((remote: Endpoint) => boolean) | undefined;
  /** Called whenever the number of active connections changes. */
  onCount?: (active: number, handled: number) => void;
}

const NO_ENDPOINT: Endpoint = { address: '', port: 0, family: 0 };
const TUBE = Symbol('tube');
const CONTROLLER = Symbol('controller');
const FORCED = Symbol('forced');
const DONE = Symbol('done');
const LOCAL = Symbol('local');

/**
 * One connection being handled: its bookkeeping, and the ConnectionInfo its handler sees. A
 * class (the signal getter lives on the prototype), so that a server holding many idle
 * connections pays for one small object each.
 */
class Active implements ConnectionInfo {
  id: number;
  remote: Endpoint;
  /** Set from a PROXY header; otherwise the tube's, looked up when a handler asks. */
  [LOCAL]: Endpoint | undefined;
  proxy?: ProxyHeader;
  worker: string;
  // The engine's own fields are symbol-keyed: a handler that logs or copies its info sees only
  // the ConnectionInfo fields.
  readonly [TUBE]: Tube;
  /** Created on first use of info.signal: most handlers never look at it. */
  [CONTROLLER]: AbortController | undefined;
  /** Set when close() forces this connection. */
  [FORCED] = false;
  /** Settles when the handler has finished and the connection is released. */
  [DONE]: Promise<void> | undefined;

  /** The engine's one signal for "shutdown has begun", shared by every connection. */
  readonly closing: AbortSignal;

  constructor(tube: Tube, id: number, worker: string, closing: AbortSignal) {
    this.closing = closing;
    this[TUBE] = tube;
    this.id = id;
    this.remote = tube.remote ?? NO_ENDPOINT;
    this.worker = worker;
  }

  get local(): Endpoint {
    this[LOCAL] ??= this[TUBE].local ?? NO_ENDPOINT;
    return this[LOCAL];
  }

  set local(endpoint: Endpoint) {
    this[LOCAL] = endpoint;
  }

  get signal(): AbortSignal {
    this[CONTROLLER] ??= new AbortController();
    const controller = this[CONTROLLER];
    if (this[FORCED]) controller.abort();
    return controller.signal;
  }
}

/**
 * The accept loop and per-connection lifecycle shared by every concurrency mode: limits, PROXY
 * header, handler isolation, graceful then forced shutdown. One engine per event loop.
 */
export class Engine {
  #listener: Acceptor;
  #options: EngineOptions;
  #active = new Set<Active>();
  #handled = 0;
  #nextId = 1;
  #stopped = false;
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void>;
  #closing = new AbortController();

  constructor(listener: Acceptor, options: EngineOptions) {
    this.#listener = listener;
    this.#options = options;
    if (listener.deliverTo && options.overflow !== 'queue') {
      // Each connection is handed over as it is accepted: no accept() promise, waiter or loop
      // turn per connection. (The 'queue' overflow needs the loop: it stops taking connections.)
      listener.deliverTo((tube) => this.#take(tube));
      this.#loop = Promise.resolve();
    } else {
      this.#loop = this.#acceptLoop();
    }
  }

  get active(): number {
    return this.#active.size;
  }

  get handled(): number {
    return this.#handled;
  }

  async #acceptLoop(): Promise<void> {
    const { maxConnections, overflow } = this.#options;
    while (!this.#stopped) {
      if (overflow === 'queue' && this.#active.size >= maxConnections) {
        // Take no more connections until a handler finishes: new ones wait in the listener's
        // queue (up to the backlog; beyond it they are reset).
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        continue;
      }
      let tube: Tube;
      try {
        tube = await this.#listener.accept();
      } catch (error) {
        if (error instanceof ClosedError || this.#stopped) return;
        throw error;
      }
      this.#take(tube);
    }
  }

  /** An accepted connection: refused, closed for the limit, or handled. */
  #take(tube: Tube): void {
    if (this.#stopped) {
      tube.destroy();
      return;
    }
    if (this.#options.allow && !this.#options.allow(tube.remote ?? NO_ENDPOINT)) {
      // Refused by access control: reset at once, nothing lingers (no timer, no slot).
      tube.reset();
      return;
    }
    if (this.#active.size >= this.#options.maxConnections) {
      // Closed with FIN (docs/eof.md B7): what the client already sent (a SOCKS greeting) is
      // read and dropped, so that the close does not turn into a reset.
      void tube.close();
      return;
    }
    this.#start(tube);
  }

  #start(tube: Tube): void {
    const entry = new Active(tube, this.#nextId++, this.#options.worker, this.#closing.signal);
    this.#active.add(entry);
    this.#report();
    // Plain promise chaining rather than an async function: no suspended frame per connection
    // while the handler runs.
    const handled = this.#options.proxyProtocol
      ? this.#readProxyHeader(entry).then(() => this.#options.handler(tube, entry))
      : callHandler(this.#options.handler, entry);
    entry[DONE] = handled.then(
      () => this.#finish(entry, undefined),
      (error: unknown) => this.#finish(entry, error),
    );
  }

  #finish(entry: Active, error: unknown): void {
    if (error === undefined) {
      void entry[TUBE].close();
    } else {
      entry[TUBE].destroy();
      if (!entry[FORCED] && !isPeerEnding(error)) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#options.onError(failure, { remote: entry.remote, worker: entry.worker });
      }
    }
    this.#active.delete(entry);
    this.#handled++;
    this.#report();
    const freed = this.#slotFreed;
    this.#slotFreed = undefined;
    freed?.();
  }

  async #readProxyHeader(entry: Active): Promise<void> {
    const header = await readProxyHeader(entry[TUBE], {
      required: this.#options.proxyProtocol === true,
      timeout: this.#options.proxyTimeout,
    });
    if (!header) return;
    entry.proxy = header;
    if (header.command === 'proxy' && header.source && header.destination) {
      const family = header.protocol.endsWith('6') ? 6 : header.protocol.endsWith('4') ? 4 : 0;
      entry.remote = { ...header.source, family };
      entry.local = { ...header.destination, family };
    }
  }

  #report(): void {
    this.#options.onCount?.(this.#active.size, this.#handled);
  }

  /**
   * Stop accepting; wait for handlers up to `gracePeriod` ms, then abort their signals and destroy
   * their connections, and wait for them to settle.
   */
  async close(gracePeriod: number): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort(new ClosedError('server closing') as SockcatError);
    }
    if (!this.#stopped) {
      this.#stopped = true;
      this.#slotFreed?.();
      await this.#listener.close();
    }
    await this.#loop.catch(() => {});
    const all = () => Promise.all([...this.#active].map((a) => a[DONE]));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), gracePeriod);
    });
    const outcome = await Promise.race([all().then(() => 'done' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      for (const active of this.#active) {
        active[FORCED] = true;
        active[CONTROLLER]?.abort(
          new ClosedError('server closing: grace period over') as SockcatError,
        );
        active[TUBE].destroy();
      }
      // A handler that ignores both its signal and its dead connection is abandoned after 1 s.
      let abandon: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((resolve) => (abandon = setTimeout(resolve, 1000)))]);
      clearTimeout(abandon);
    }
  }
}

/** Errors a peer causes by going away (reset, early end of file, closed connection). */
function isPeerEnding(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'SOCKCAT_RESET' || code === 'SOCKCAT_EOF' || code === 'SOCKCAT_CLOSED';
}

/** The default onError: one line on stderr. */
export function logHandlerError(error: Error, info: { remote: Endpoint; worker: string }): void {
  const peer = formatHostPort(info.remote.address, info.remote.port);
  process.stderr.write(
    `sockcat serve (${info.worker}): handler failed for ${peer}: ${error.message}\n`,
  );
}

/** Run a handler, turning a synchronous throw into a rejection. */
function callHandler(handler: Handler, entry: Active): Promise<void> {
  try {
    return Promise.resolve(handler(entry[TUBE], entry));
  } catch (error) {
    return Promise.reject(error);
  }
}
