import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Family } from '../address/resolve.js';
import type { HandshakeGate } from '../transports/handshake-gate.js';
import type { Tube } from '../tube/tube.js';
import type { ProxyAuth } from './proxy-spec.js';
import type { SpliceResult } from './splice.js';

/** Milliseconds a client gets for its whole handshake (greeting to request) by default. */
export const DEFAULT_PROXY_HANDSHAKE_TIMEOUT = 10_000;

/** Options shared by sockcat's proxy servers. */
export interface ProxyServerOptions {
  /** Require these credentials (SOCKS5 username/password; HTTP Basic or Digest). */
  auth?: ProxyAuth;
  /** Milliseconds a client gets to complete its handshake. Default 10000. */
  handshakeTimeout?: number;
  /**
   * Bounds on clients still in their handshake (HTTP request head; SOCKS5 greeting to request),
   * apart from the tunnels: a total, a cap per source address, a first-byte deadline (see
   * HandshakeGate). Share one gate between servers to bound them together. Default: none.
   */
  handshakes?: HandshakeGate;
  /**
   * Tunnels and forwarded requests at once. A client past its handshake beyond this gets
   * `503 Service Unavailable` (HTTP) or reply 0x01 (SOCKS5). Default: no limit.
   */
  maxTunnels?: number;
  /** Milliseconds to connect to the destination. Default 10000. */
  connectTimeout?: number;
  /** Close a tunnel when nothing moved either way for this many milliseconds. Default: none. */
  idleTimeout?: number;
  /** Family for resolving destination names (0: any). */
  family?: Family;
  /** Called before connecting to a destination; false refuses it (SOCKS5 0x02, HTTP 403). */
  allowDestination?: (host: string, port: number) => boolean | Promise<boolean>;
  /** One line per event worth logging (-v): tunnels opened, refusals, bad handshakes. */
  log?: (message: string) => void;
  /** Told about every tunnel opened (the CLI's --json). */
  onTunnel?: (tunnel: TunnelInfo) => void;
  /**
   * Told when a tunnel has closed, with the bytes exchanged with the client (handshake included)
   * and how it ended (`idle-timeout` when `idleTimeout` closed it).
   */
  onTunnelEnd?: (tunnel: TunnelInfo, client: ClientBytes, ended: TunnelEnd) => void;
}

/**
 * How a tunnel ended: `done` (both directions ended, or a forwarded request was answered),
 * `idle-timeout` (nothing moved for `idleTimeout`), `aborted` (the server's shutdown), `reset`.
 */
export type TunnelEnd = SpliceResult['reason'];

/** Bytes exchanged with a proxy client over its whole connection. */
export interface ClientBytes {
  /** Sent to the client: replies, then what the destination sent. */
  sent: number;
  /** Received from the client: its handshake, then what it sent the destination. */
  received: number;
}

/**
 * The client's totals after a tunnel: the socket's own counters when it is a socket, else the
 * tube's handshake counts plus the tunnel's (which may count bytes pushed back twice).
 */
export function clientBytes(stream: Duplex, tube: Tube, tunnel: SpliceResult): ClientBytes {
  if (stream instanceof Socket) {
    // The native data path moves bytes past the socket's own counters.
    return {
      sent: stream.bytesWritten + (tunnel.native?.bToA ?? 0),
      received: stream.bytesRead + (tunnel.native?.aToB ?? 0),
    };
  }
  return { sent: tube.bytesSent + tunnel.bToA, received: tube.bytesReceived + tunnel.aToB };
}

export interface TunnelInfo {
  client: string;
  destination: string;
  protocol: 'socks5' | 'http-connect' | 'http-forward';
}
