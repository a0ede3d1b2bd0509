import type { Family } from '../address/resolve.js';
import type { ProxyDns, ProxyHop } from '../proxy/proxy-spec.js';
import type { TlsClientOptions, TlsServerOptions } from '../tls/options.js';
import type { SocketOptions } from '../transports/socket-options.js';
import type { WebSocketOptions } from '../transports/websocket-tube.js';
import type { Endpoint } from '../tube/tube.js';
import type { RetryOptions } from './retry.js';

/** The options, events and handle of forward() (forward.ts), shared with the UDP forward. */

/** Which way a relayed chunk went: from the client to the target, or back. */
export type ForwardDirection = 'to-target' | 'to-client';

/** What a forward reports, in order, for each client (the CLI turns them into -v lines and --json). */
export type ForwardEvent =
  | { type: 'listening'; local: Endpoint }
  | { type: 'accepted'; id: number; remote: Endpoint; local: Endpoint }
  | { type: 'denied'; remote: Endpoint; reason: 'not-allowed' | 'max-conns' }
  | { type: 'connecting'; id: number; target: string; attempt: number }
  | {
      type: 'connect-failed';
      id: number;
      target: string;
      attempt: number;
      error: Error;
      /** Milliseconds before the next attempt; undefined when there is none (the client is dropped). */
      retryIn: number | undefined;
    }
  | {
      type: 'connected';
      id: number;
      target: string;
      attempt: number;
      remote: Endpoint | undefined;
      local: Endpoint | undefined;
    }
  /** Which data path relays a stream client: `native: both ways by rw`, or `JavaScript (why)`. */
  | { type: 'data-path'; id: number; path: string }
  | {
      type: 'closed';
      id: number;
      /** Bytes from the client to the target, and back. */
      toTarget: number;
      toClient: number;
      durationMs: number;
      /** 'done' when both directions ended, else why (connect-failed, idle-timeout, reset). */
      reason: string;
    };

/** The listening side of a forward. */
export interface ForwardListenOptions {
  /** TLS for a plain `host:port` or `unix:` listen target too (tls:// and wss:// imply it). */
  tls?: TlsServerOptions | true;
  family?: Family;
  backlog?: number;
  socket?: SocketOptions;
  reusePort?: boolean;
  /** With TLS: a client whose handshake failed was dropped (the listener goes on). */
  onTlsError?: (error: Error, remote: Endpoint) => void;
  /** A WebSocket listen side: framing, the largest message accepted, keepalive pings. */
  websocket?: ForwardWebSocketOptions;
}

/** WebSocket framing and limits of one side (see WebSocketOptions). */
export type ForwardWebSocketOptions = Pick<
  WebSocketOptions,
  'text' | 'lines' | 'maxMessageSize' | 'pingInterval'
>;

/** The connecting side. */
export interface ForwardConnectOptions {
  /** TLS for tls:// and wss:// targets (verified unless `insecure`), or for a plain target too. */
  tls?: TlsClientOptions | true;
  proxy?: ProxyHop | readonly ProxyHop[];
  proxyDns?: ProxyDns;
  /** Milliseconds for each connection attempt. */
  timeout?: number;
  family?: Family;
  socket?: SocketOptions;
  localAddress?: string;
  numericOnly?: boolean;
  /** A WebSocket target: framing, the largest message accepted, keepalive pings. */
  websocket?: ForwardWebSocketOptions;
}

export interface ForwardOptions {
  listen?: ForwardListenOptions;
  connect?: ForwardConnectOptions;
  /** Clients relayed at once; more are dropped at once (ncat's -m). Default: no limit. */
  maxConnections?: number;
  /** Serve one client, then stop listening (ncat's -l without -k). Default false. */
  once?: boolean;
  /** Access control: false drops the client before anything is sent (--allow/--deny). */
  allow?: (remote: Endpoint) => boolean;
  /** Destroy a relay when nothing moved either way for this many milliseconds (-i). */
  idleTimeout?: number;
  /** Reconnect attempts to the target per client, socat's retry/forever (see RetryOptions). */
  retry?: Omit<RetryOptions, 'signal' | 'onAttempt' | 'onFailure'>;
  onEvent?: (event: ForwardEvent) => void;
  /**
   * Sees every chunk relayed, as it is relayed: client `id` (as in the events), which way, and the
   * bytes (datagrams whole over UDP). A stream forward with a tap relays in JavaScript, not on the
   * native data path. The CLI's -o/-x use it.
   */
  tap?: (id: number, direction: ForwardDirection, chunk: Buffer) => void;
  /**
   * Told of the bytes relayed since the last call, every client together: per chunk (or
   * datagram) in JavaScript, every 250 ms on the native path, which a counter does not leave
   * (the CLI's --progress).
   */
  onBytes?: (toTarget: number, toClient: number) => void;
  /** Stops the forward as close() does, and aborts retries. */
  signal?: AbortSignal;
}

export interface Forwarder {
  /** Where it listens (the real port for port 0). */
  address(): Endpoint;
  /** The certificate served, with TLS. */
  readonly tls: { fingerprint: string; ephemeral: boolean } | undefined;
  /** Clients being relayed now. */
  readonly connections: number;
  /** Resolves when the forward stopped listening and every relay has ended. */
  readonly done: Promise<void>;
  /** Stop listening; relays in progress are destroyed. Resolves as `done`. Idempotent. */
  close(): Promise<void>;
}
