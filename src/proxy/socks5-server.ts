import { timingSafeEqual } from 'node:crypto';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHostPort } from '../address/host-port.js';
import type { Family } from '../address/resolve.js';
import { SockcatError } from '../errors.js';
import type { ConnectionInfo, Handler } from '../server/types.js';
import { connect } from '../transports/tcp-connect.js';
import type { Tube } from '../tube/tube.js';
import type { ProxyAuth } from './proxy-spec.js';
import { isIncompleteHandshake, readHandshake } from './read-handshake.js';
import {
  encodeReply,
  parseCredentials,
  parseGreeting,
  parseRequest,
  Socks5Command,
  Socks5Method,
  Socks5ParseError,
  Socks5Reply,
  type Socks5ReplyCode,
  USERPASS_VERSION,
} from './socks5-messages.js';
import { type SpliceResult, splice } from './splice.js';

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

/**
 * A serve() handler that makes the server a SOCKS5 proxy (RFC 1928): CONNECT only, methods
 * no-auth (when no `auth` is set) or username/password (RFC 1929, required when `auth` is set),
 * IPv4, IPv6 and domain-name destinations. The handshake is bounded in bytes by the protocol and
 * in time by `handshakeTimeout`; failures get the RFC's reply code and the connection closes.
 */
export function createSocks5Handler(options: ProxyServerOptions = {}): Handler {
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT;
  return async (tube: Tube, info: ConnectionInfo) => {
    const client = tube.peerName;
    const deadline = performance.now() + handshakeTimeout;
    const fail = async (reply: Socks5ReplyCode, why: string) => {
      options.log?.(`SOCKS5 client ${client}: ${why}`);
      await tube.send(encodeReply(reply)).catch(() => {});
      await tube.close().catch(() => {});
    };
    let request: { command: number; host: string; port: number };
    try {
      const methods = await readHandshake(tube, parseGreeting, deadline);
      const wanted = options.auth ? Socks5Method.UserPass : Socks5Method.NoAuth;
      if (!methods.includes(wanted)) {
        options.log?.(
          `SOCKS5 client ${client}: offers no acceptable method (${options.auth ? 'username/password required' : 'no-auth required'})`,
        );
        await tube.send(Buffer.from([0x05, Socks5Method.NoAcceptable])).catch(() => {});
        await tube.close().catch(() => {});
        return;
      }
      await tube.send(Buffer.from([0x05, wanted]));
      if (options.auth) {
        const given = await readHandshake(tube, parseCredentials, deadline);
        const ok =
          sameText(given.username, options.auth.username) &&
          sameText(given.password, options.auth.password);
        await tube.send(Buffer.from([USERPASS_VERSION, ok ? 0x00 : 0x01]));
        if (!ok) {
          options.log?.(`SOCKS5 client ${client}: wrong username or password`);
          await tube.close().catch(() => {});
          return;
        }
      }
      request = await readHandshake(tube, parseRequest, deadline);
    } catch (error) {
      if (error instanceof Socks5ParseError) {
        if (error.reply !== undefined) return fail(error.reply, error.message);
        options.log?.(`SOCKS5 client ${client}: ${error.message}`);
        tube.destroy();
        return;
      }
      if (isIncompleteHandshake(error)) {
        options.log?.(
          `SOCKS5 client ${client}: handshake not completed (${(error as Error).message})`,
        );
        tube.destroy();
        return;
      }
      throw error;
    }
    const destination = formatHostPort(request.host, request.port);
    if (request.command !== Socks5Command.Connect) {
      return fail(
        Socks5Reply.CommandNotSupported,
        `command 0x${request.command.toString(16)} not supported`,
      );
    }
    if (options.allowDestination && !(await options.allowDestination(request.host, request.port))) {
      return fail(Socks5Reply.NotAllowed, `destination ${destination} not allowed`);
    }
    let upstream: Tube;
    try {
      upstream = await connect(
        { host: request.host, port: request.port },
        {
          family: options.family ?? 0,
          timeout: options.connectTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
          signal: info.signal,
        },
      );
    } catch (error) {
      return fail(replyFor(error), `connect to ${destination} failed: ${(error as Error).message}`);
    }
    const bound = upstream.local;
    await tube.send(encodeReply(Socks5Reply.Succeeded, bound));
    options.log?.(`SOCKS5 tunnel ${client} -> ${destination}`);
    const tunnel: TunnelInfo = { client, destination, protocol: 'socks5' };
    options.onTunnel?.(tunnel);
    const clientStream = tube.toStream();
    const bytes = await splice(clientStream, upstream.toStream(), {
      signal: info.signal,
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    });
    options.onTunnelEnd?.(tunnel, clientBytes(clientStream, tube, bytes));
  };
}

/** The SOCKS5 reply for a failed connect to the destination. */
export function replyFor(error: unknown): Socks5ReplyCode {
  if (!(error instanceof SockcatError)) return Socks5Reply.GeneralFailure;
  const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  switch (error.code) {
    case 'SOCKCAT_REFUSED':
      return Socks5Reply.ConnectionRefused;
    case 'SOCKCAT_RESOLVE':
    case 'SOCKCAT_TIMEOUT':
      return Socks5Reply.HostUnreachable;
    case 'SOCKCAT_CONNECT':
      if (cause === 'ENETUNREACH') return Socks5Reply.NetworkUnreachable;
      if (cause === 'EHOSTUNREACH' || cause === 'ETIMEDOUT') return Socks5Reply.HostUnreachable;
      return Socks5Reply.GeneralFailure;
    case 'SOCKCAT_ARGS':
      return Socks5Reply.AddressTypeNotSupported;
    default:
      return Socks5Reply.GeneralFailure;
  }
}

function sameText(given: string, wanted: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(wanted, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
