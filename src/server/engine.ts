import { formatHostPort } from '../address/host-port.js';
import { ClosedError, type SockcatError } from '../errors.js';
import type { Listener } from '../transports/tcp-listen.js';
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

interface Active {
  tube: Tube;
  /** Created on first use of info.signal: most handlers never look at it. */
  controller: AbortController | undefined;
  /** Set when close() forces this connection. */
  forced: boolean;
  done: Promise<void>;
}

const NO_ENDPOINT: Endpoint = { address: '', port: 0, family: 0 };

/**
 * The accept loop and per-connection lifecycle shared by every concurrency mode: limits, PROXY
 * header, handler isolation, graceful then forced shutdown. One engine per event loop.
 */
export class Engine {
  #listener: Listener;
  #options: EngineOptions;
  #active = new Set<Active>();
  #handled = 0;
  #nextId = 1;
  #stopped = false;
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void>;

  constructor(listener: Listener, options: EngineOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#loop = this.#acceptLoop();
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
      if (this.#options.allow && !this.#options.allow(tube.remote ?? NO_ENDPOINT)) {
        // Refused by access control: reset at once, nothing lingers (no timer, no slot).
        tube.reset();
        continue;
      }
      if (this.#active.size >= maxConnections) {
        tube.destroy();
        continue;
      }
      this.#start(tube);
    }
  }

  #start(tube: Tube): void {
    const id = this.#nextId++;
    const entry: Active = { tube, controller: undefined, forced: false, done: Promise.resolve() };
    this.#active.add(entry);
    this.#report();
    entry.done = this.#run(tube, id, entry).finally(() => {
      this.#active.delete(entry);
      this.#handled++;
      this.#report();
      const freed = this.#slotFreed;
      this.#slotFreed = undefined;
      freed?.();
    });
  }

  async #run(tube: Tube, id: number, entry: Active): Promise<void> {
    const info: ConnectionInfo = {
      id,
      remote: tube.remote ?? NO_ENDPOINT,
      local: tube.local ?? NO_ENDPOINT,
      get signal() {
        entry.controller ??= new AbortController();
        if (entry.forced) entry.controller.abort();
        return entry.controller.signal;
      },
      worker: this.#options.worker,
    };
    try {
      if (this.#options.proxyProtocol) {
        const header = await readProxyHeader(tube, {
          required: this.#options.proxyProtocol === true,
          timeout: this.#options.proxyTimeout,
        });
        if (header) {
          info.proxy = header;
          if (header.command === 'proxy' && header.source && header.destination) {
            const family = header.protocol.endsWith('6')
              ? 6
              : header.protocol.endsWith('4')
                ? 4
                : 0;
            info.remote = { ...header.source, family };
            info.local = { ...header.destination, family };
          }
        }
      }
      await this.#options.handler(tube, info);
      // The slot is free now; the graceful close (FIN, wait for the peer's) finishes on its own.
      void tube.close();
    } catch (error) {
      tube.destroy();
      // A client that resets or leaves early ends its connection; that is not a handler failure.
      if (!entry.forced && !isPeerEnding(error)) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#options.onError(failure, { remote: info.remote, worker: info.worker });
      }
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
    if (!this.#stopped) {
      this.#stopped = true;
      this.#slotFreed?.();
      await this.#listener.close();
    }
    await this.#loop.catch(() => {});
    const all = () => Promise.all([...this.#active].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), gracePeriod);
    });
    const outcome = await Promise.race([all().then(() => 'done' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      for (const active of this.#active) {
        active.forced = true;
        active.controller?.abort(
          new ClosedError('server closing: grace period over') as SockcatError,
        );
        active.tube.destroy();
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
