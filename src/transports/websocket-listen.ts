import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { formatHostPort } from '../address/host-port.js';
import { ArgumentError, ClosedError, type ErrorContext, WebSocketError } from '../errors.js';
import type { TlsInfo } from '../tls/options.js';
import type { Endpoint, TubeOptions } from '../tube/tube.js';
import { AcceptQueue } from './accept-queue.js';
import type { TargetInput } from './target.js';
import { type Listener, type ListenerTls, type ListenOptions, listen } from './tcp-listen.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT,
  type WebSocketOptions,
  WebSocketTube,
} from './websocket-tube.js';

export interface WebSocketListenOptions extends WebSocketOptions, Omit<ListenOptions, 'tube'> {
  /**
   * Accept upgrades to this path only (the query is not compared); other paths get HTTP 404.
   * Default: any path.
   */
  path?: string;
  /** Milliseconds a client has to send its upgrade request. Default 10000. */
  handshakeTimeout?: number;
  /**
   * Called when a client is dropped before it became a WebSocket (bad request, wrong path).
   * With `tls` and `tlsSingleClient`, the one client's failed upgrade is accept()'s rejection
   * instead, as its failed TLS handshake is.
   */
  onHandshakeError?: (error: Error, remote: Endpoint) => void;
}

interface Accepted {
  local: Endpoint;
  remote: Endpoint;
  network: TubeOptions['network'];
  tls: TlsInfo | undefined;
  timer: NodeJS.Timeout;
}

/**
 * Listening for WebSocket clients: TCP or Unix, plain or TLS (wss), as listen() opens them, with
 * an HTTP upgrade per connection. accept() and async iteration hand out WebSocketTubes.
 */
export class WebSocketListener implements AsyncIterable<WebSocketTube> {
  #inner: Listener;
  #http: HttpServer;
  #wss: WebSocketServer;
  #options: WebSocketListenOptions;
  #accepted = new WeakMap<Duplex, Accepted>();
  /** Clients whose upgrade succeeded, held until accept() hands them out. */
  readonly #queue: AcceptQueue<WebSocketTube, WebSocketTube>;

  /** @internal Use listenWebSocket(). */
  constructor(inner: Listener, options: WebSocketListenOptions) {
    this.#inner = inner;
    this.#options = options;
    this.#queue = new AcceptQueue({
      limit: options.maxPending ?? options.backlog ?? 511,
      handOut: (tube) => tube,
      refuse: (tube) => void tube.closeWith(1013, 'server busy'),
      hold: (tube, forget) => void tube.whenClosed().then(forget),
      context: () => this.#ctx(),
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    });
    this.#http = createServer();
    this.#http.on('upgrade', this.#onUpgrade);
    this.#http.on('request', (request: IncomingMessage, response) => {
      this.#refuse(request.socket, 'not a WebSocket upgrade request');
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'close' });
      response.end('This is a WebSocket endpoint: connect with ws:// or wss://\n');
    });
    void this.#acceptLoop();
  }

  /** The bound address, with the real port when port 0 was asked for. */
  address(): Endpoint {
    return this.#inner.address();
  }

  /** The certificate served, for wss. */
  get tls(): ListenerTls | undefined {
    return this.#inner.tls;
  }

  get closed(): boolean {
    return this.#queue.closed;
  }

  /** Wait for the next client whose upgrade succeeded. Cancel safety: safe. */
  accept(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<WebSocketTube> {
    return this.#queue.accept(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<WebSocketTube> {
    return this.#queue[Symbol.asyncIterator]();
  }

  /** Stop listening; clients not yet handed out are closed (1001). Idempotent. */
  async close(): Promise<void> {
    if (this.#queue.closed) return;
    for (const tube of this.#queue.close()) tube.destroy();
    await this.#inner.close();
  }

  ref(keep = true): void {
    this.#inner.ref(keep);
  }

  #ctx(): ErrorContext {
    const { address, port } = this.address();
    return { op: 'accept', network: 'tcp', address, port };
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let tube: Awaited<ReturnType<Listener['accept']>>;
      try {
        tube = await this.#inner.accept();
      } catch (error) {
        // Closed, or (tlsSingleClient) the one client's handshake failed: the wait is over.
        if (!(error instanceof ClosedError)) this.#queue.fail(error as Error);
        return;
      }
      const { local, remote, network } = tube;
      const info = tube.tls;
      const socket = tube.toStream();
      const timeout = this.#options.handshakeTimeout ?? DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT;
      const timer = setTimeout(() => {
        this.#refuse(socket, `no WebSocket upgrade request within ${timeout}ms`);
        socket.destroy();
      }, timeout);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      socket.on('error', () => {});
      this.#accepted.set(socket, {
        local: local ?? { address: '', port: 0, family: 0 },
        remote: remote ?? { address: '', port: 0, family: 0 },
        network,
        tls: info,
        timer,
      });
      this.#http.emit('connection', socket);
      socket.resume();
    }
  }

  #refuse(socket: Duplex, why: string): void {
    const accepted = this.#accepted.get(socket);
    if (!accepted) return;
    clearTimeout(accepted.timer);
    const name = formatHostPort(accepted.remote.address, accepted.remote.port);
    const message = `WebSocket client ${name} dropped: ${why}`;
    if (this.#options.tlsSingleClient && this.#options.tls) {
      // The one client (nobody else gets in) failed its upgrade: the wait is over, as when its
      // TLS handshake fails.
      this.#queue.fail(new WebSocketError(message, this.#ctx()));
      return;
    }
    this.#options.onHandshakeError?.(new ArgumentError(message), accepted.remote);
  }

  #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const accepted = this.#accepted.get(socket);
    if (!accepted || this.#queue.closed) {
      socket.destroy();
      return;
    }
    clearTimeout(accepted.timer);
    const path = this.#options.path;
    const url = request.url ?? '/';
    if (path !== undefined && url.replace(/\?.*$/, '') !== path) {
      this.#refuse(socket, `path ${JSON.stringify(url)} is not ${JSON.stringify(path)}`);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    (socket as Socket).setTimeout?.(0);
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const options = this.#options;
      const tube = new WebSocketTube(
        ws,
        {
          url,
          peerName: formatHostPort(accepted.remote.address, accepted.remote.port),
          context: {
            op: 'read',
            network: 'tcp',
            address: accepted.remote.address,
            port: accepted.remote.port,
          },
          maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
          ...(options.pingInterval !== undefined ? { pingInterval: options.pingInterval } : {}),
          ...(options.text !== undefined ? { text: options.text } : {}),
          ...(options.lines !== undefined ? { lines: options.lines } : {}),
          ...(options.messageBoundaries !== undefined
            ? { messageBoundaries: options.messageBoundaries }
            : {}),
        },
        {
          ...options.tube,
          ...(accepted.network ? { network: accepted.network } : {}),
          local: accepted.local,
          remote: accepted.remote,
          ...(accepted.tls ? { tls: accepted.tls } : {}),
        },
      );
      this.#queue.deliver(tube);
    });
  };
}

/**
 * Listen for WebSocket clients on `target` (a port, "host:port", or a Unix socket `{ path }`).
 * With `tls`, clients speak wss. See docs/library.md ("WebSocket").
 */
export async function listenWebSocket(
  target: TargetInput,
  options: WebSocketListenOptions = {},
): Promise<WebSocketListener> {
  if (options.path !== undefined && !options.path.startsWith('/')) {
    throw new ArgumentError(`WebSocket path ${JSON.stringify(options.path)} must start with "/"`);
  }
  // The TCP (or TLS, or Unix) side is listen()'s; the WebSocket options are this listener's.
  const inner = await listen(target, options);
  return new WebSocketListener(inner, options);
}
