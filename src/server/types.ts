import type { ProxyHeader } from '../proxy-protocol/header.js';
import type { TlsServerOptions } from '../tls/options.js';
import type { HandshakeGateOptions } from '../transports/handshake-gate.js';
import type { SocketOptions } from '../transports/socket-options.js';
import type { TargetInput } from '../transports/target.js';
import type { WebSocketListenOptions } from '../transports/websocket-listen.js';
import type { Endpoint, Tube, TubeOptions } from '../tube/tube.js';

/** What a handler learns about its connection. */
export interface ConnectionInfo {
  /** Sequence number of the connection within its worker (from 1). */
  id: number;
  /** The client: from the PROXY header when one was received, else the socket's peer. */
  remote: Endpoint;
  local: Endpoint;
  /** The PROXY protocol header, when `proxyProtocol` is on and one was sent. */
  proxy?: ProxyHeader;
  /** Aborted when the server forces connections closed (after the grace period). */
  signal: AbortSignal;
  /**
   * Aborted when the server's graceful shutdown begins (close(), or SIGINT/SIGTERM with workers),
   * before the grace period ends: a handler that holds its client (a long poll, a chat) can say
   * goodbye and return instead of being cut.
   */
  closing: AbortSignal;
  /** Which worker runs the handler: 'main' inline, else 'thread N' or 'process N'. */
  worker: string;
}

/**
 * A connection handler. The tube is closed gracefully when the handler returns; an error it
 * throws is reported once (`onError`) and closes only its own connection.
 */
export type Handler = (tube: Tube, info: ConnectionInfo) => void | Promise<void>;

/**
 * Where handlers run:
 * - 'inline': on this event loop (Node's native way; the default).
 * - { threads: n }: n worker threads, each accepting on its own SO_REUSEPORT socket.
 * - { processes: n }: n worker processes sharing one listening socket.
 * Threads and processes load the handler from a module (`handler: new URL('./h.js', import.meta.url)`).
 */
export type Concurrency = 'inline' | { threads: number } | { processes: number };

/** What to do with a connection beyond `maxConnections`. */
export type Overflow = 'refuse' | 'queue';

export interface ServeOptions {
  /** Port, "host:port", { host, port } or a Unix socket { path }. */
  listen: TargetInput;
  /**
   * The handler function (inline only), or the URL/path of a module exporting it as `handler`
   * or as its default export (every mode).
   */
  handler: Handler | URL | string;
  concurrency?: Concurrency;
  /** Connections served at once (across all workers; each worker gets an equal share). */
  maxConnections?: number;
  /** 'refuse' (default) closes extra connections at once; 'queue' leaves them waiting. */
  overflow?: Overflow;
  /** Close connections silent for this many ms. */
  idleTimeout?: number;
  /** close() waits this long for handlers before forcing connections closed. Default 5000 ms. */
  gracePeriod?: number;
  /**
   * With { processes } or { threads }: a SIGINT or SIGTERM (a terminal's Ctrl-C reaches the whole
   * process group) starts one graceful shutdown, coordinated by this process: worker processes
   * leave the signal to it, handlers see `info.closing`, and a second signal forces the rest at
   * once. The handlers are removed once the server has closed. Default true; false leaves the
   * signals to you (the workers still ignore them).
   */
  shutdownOnSignals?: boolean;
  /**
   * Read a PROXY protocol header (v1 or v2) before the handler runs: true requires one,
   * 'optional' accepts connections without. Bounded by `proxyTimeout` and 1 KiB.
   */
  proxyProtocol?: boolean | 'optional';
  /** Milliseconds to wait for the PROXY header. Default 5000. */
  proxyTimeout?: number;
  family?: 0 | 4 | 6;
  backlog?: number;
  /**
   * Socket options for accepted connections (TTL, TOS, keepalive, buffer sizes; see
   * SocketOptions), set on the listening socket. Inline only.
   */
  socket?: SocketOptions;
  /** Options of each connection's tube. */
  tube?: TubeOptions;
  /**
   * Access control (inline mode): called with each new connection's peer; false resets it before
   * any handler runs (the CLI's --allow/--deny).
   */
  allow?: (remote: Endpoint) => boolean;
  /**
   * Serve TLS (inline mode): each client's handshake completes before its handler runs, and
   * `tube.tls` tells what was negotiated. Without cert/key an ephemeral certificate is made in
   * memory; `server.tls` has its fingerprint.
   */
  tls?: TlsServerOptions | true;
  /**
   * Serve WebSocket clients (inline mode): each connection's HTTP upgrade completes before its
   * handler runs, and the handler's tube is a WebSocketTube (with `tls`: wss).
   */
  websocket?: ServeWebSocketOptions | true;
  /** Called when a client's TLS handshake fails (the client is dropped). Default: ignored. */
  onTlsError?: (error: Error, remote: Endpoint) => void;
  /**
   * With `tls`: bounds on handshakes in progress, apart from `maxConnections` (a total, a cap
   * per source address, and a deadline for the client's first byte; see HandshakeGateOptions).
   */
  handshakes?: HandshakeGateOptions;
  /** Called once per failed handler (default: one line on stderr). */
  onError?: (error: Error, info: { remote: Endpoint; worker: string }) => void;
  /**
   * Called each time a worker is listening: inline, once (worker 'main') before serve()
   * resolves; with threads or processes, for each worker at start and for each replacement of
   * one that crashed (`replaced: true`), so that a caller can wait until it serves again.
   */
  onWorkerReady?: (info: { worker: string; replaced: boolean }) => void;
}

export interface Server {
  /** The bound address (real port for port 0; Unix path as `address`). */
  address(): Endpoint;
  /** The certificate served, with `tls` (inline mode). */
  readonly tls?: { fingerprint: string; ephemeral: boolean } | undefined;
  /** Connections being handled now (inline); for workers, the last count each reported. */
  readonly connections: number;
  /** Connections handled so far. */
  readonly handled: number;
  /**
   * Stop accepting, let handlers finish, force the rest after the grace period. Resolves when
   * every connection is gone (and every worker has exited). Idempotent.
   */
  close(options?: { gracePeriod?: number }): Promise<void>;
}

/** The WebSocket side of serve(): path, message size, pings, framing (see WebSocketListenOptions). */
export type ServeWebSocketOptions = Pick<
  WebSocketListenOptions,
  | 'path'
  | 'maxMessageSize'
  | 'pingInterval'
  | 'text'
  | 'lines'
  | 'handshakeTimeout'
  | 'onHandshakeError'
  | 'messageBoundaries'
>;
