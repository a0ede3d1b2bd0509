import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Family } from '../address/resolve.js';
import type { Tube } from '../tube/tube.js';
import type { ProxyAuth } from './proxy-spec.js';
import type { SpliceResult } from './splice.js';

/** Milliseconds a client gets for its whole handshake (greeting to request) by default. */
export const DEFAULT_PROXY_HANDSHAKE_TIMEOUT = 10_000;

/** Options shared by sockcat's proxy servers. */
export interface ProxyServerOptions {
  /** Require these credentials (SOCKS5 username/password; HTTP Basic). */
  auth?: ProxyAuth;
  /** Milliseconds a client gets to complete its handshake. Default 10000. */
  handshakeTimeout?: number;
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
  /** Told when a tunnel has closed, with the bytes exchanged with the client (handshake included). */
  onTunnelEnd?: (tunnel: TunnelInfo, client: ClientBytes) => void;
}

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
  if (stream instanceof Socket) return { sent: stream.bytesWritten, received: stream.bytesRead };
  return { sent: tube.bytesSent + tunnel.bToA, received: tube.bytesReceived + tunnel.aToB };
}

export interface TunnelInfo {
  client: string;
  destination: string;
  protocol: 'socks5' | 'http-connect' | 'http-forward';
}
