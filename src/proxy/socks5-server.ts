import { formatHostPort } from '../address/host-port.js';
import { SockcatError } from '../errors.js';
import type { ConnectionInfo, Handler } from '../server/types.js';
import type { Tube } from '../tube/tube.js';
import { connectDestination, refusalMessage, refusedDestination } from './destination.js';
import {
  clientBytes,
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './proxy-server-options.js';
import { isIncompleteHandshake, readHandshake } from './read-handshake.js';
import { sameText } from './same-text.js';
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
import { splice } from './splice.js';

export {
  type ClientBytes,
  clientBytes,
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './proxy-server-options.js';

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
    const refused = await refusedDestination(request.host, request.port, tube, info, options);
    if (refused) {
      return fail(Socks5Reply.NotAllowed, refusalMessage(refused, request.host, request.port));
    }
    let upstream: Tube;
    try {
      upstream = await connectDestination(request.host, request.port, info, options);
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
