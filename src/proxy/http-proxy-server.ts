import { formatHostPort, parseHostPort } from '../address/host-port.js';
import type { ConnectionInfo, Handler } from '../server/types.js';
import { connect } from '../transports/tcp-connect.js';
import type { Tube } from '../tube/tube.js';
import { basicCredentialsMatch } from './basic-auth.js';
import {
  type HeaderField,
  HttpHeadError,
  type HttpRequestHead,
  headerValues,
  parseRequestHead,
} from './http-head.js';
import { isIncompleteHandshake, readHandshake } from './read-handshake.js';
import {
  clientBytes,
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './socks5-server.js';
import { splice } from './splice.js';

/** The replies, byte for byte as ncat 7.93's proxy server sends them (HTTP/1.0, no body). */
const REPLY = {
  ok: 'HTTP/1.0 200 OK\r\n\r\n',
  badRequest: 'HTTP/1.0 400 Bad Request\r\n\r\n',
  forbidden: 'HTTP/1.0 403 Forbidden\r\n\r\n',
  methodNotAllowed: 'HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n',
  authRequired:
    'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="sockcat"\r\n\r\n',
  gatewayTimeout: 'HTTP/1.0 504 Gateway Timeout\r\n\r\n',
} as const;

/** Headers that concern one hop only: never forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

/**
 * A serve() handler that makes the server an HTTP proxy like `ncat -l --proxy-type http`:
 * CONNECT opens a tunnel; GET, HEAD and POST with an absolute `http://` URI are forwarded to the
 * origin as one HTTP/1.0 request (`Connection: close`), and the answer is relayed back. With
 * `auth`, requests without the right `Proxy-Authorization: Basic` get 407. The request head is
 * capped at 16 KiB and `handshakeTimeout`; a destination that cannot be reached gets 504.
 */
export function createHttpProxyHandler(options: ProxyServerOptions = {}): Handler {
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT;
  return async (tube: Tube, info: ConnectionInfo) => {
    const client = tube.peerName;
    const answer = async (reply: string, why: string) => {
      options.log?.(`HTTP proxy client ${client}: ${why}`);
      await tube.send(reply).catch(() => {});
      await tube.close().catch(() => {});
    };
    let head: HttpRequestHead;
    try {
      head = await readHandshake(
        tube,
        (received) => {
          const parsed = parseRequestHead(received);
          return parsed && { value: parsed, length: parsed.headLength };
        },
        performance.now() + handshakeTimeout,
      );
    } catch (error) {
      if (error instanceof HttpHeadError) return answer(REPLY.badRequest, error.message);
      if (isIncompleteHandshake(error)) {
        return answer(REPLY.badRequest, `request not completed (${(error as Error).message})`);
      }
      throw error;
    }
    if (options.auth) {
      const given = headerValues(head.headers, 'proxy-authorization');
      if (given.length !== 1 || !basicCredentialsMatch(given[0], options.auth)) {
        return answer(REPLY.authRequired, `${given.length === 0 ? 'no' : 'wrong'} credentials`);
      }
    }
    const method = head.method.toUpperCase();
    let host: string;
    let port: number;
    let forward: string | undefined;
    if (method === 'CONNECT') {
      try {
        ({ host, port } = parseHostPort(head.target));
      } catch {
        return answer(REPLY.badRequest, `bad CONNECT target ${JSON.stringify(head.target)}`);
      }
      if (host === '') return answer(REPLY.badRequest, 'CONNECT without a host');
    } else if (method === 'GET' || method === 'HEAD' || method === 'POST') {
      const origin = originOf(head.target);
      if (origin === undefined) {
        return answer(
          REPLY.badRequest,
          `not an absolute http:// URI: ${JSON.stringify(head.target)}`,
        );
      }
      ({ host, port } = origin);
      forward = forwardedHead(head, origin.path, formatHostPort(host, port));
    } else {
      return answer(REPLY.methodNotAllowed, `method ${JSON.stringify(head.method)} not allowed`);
    }
    const destination = formatHostPort(host, port);
    if (options.allowDestination && !(await options.allowDestination(host, port))) {
      return answer(REPLY.forbidden, `destination ${destination} not allowed`);
    }
    let upstream: Tube;
    try {
      upstream = await connect(
        { host, port },
        {
          family: options.family ?? 0,
          timeout: options.connectTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
          signal: info.signal,
        },
      );
    } catch (error) {
      return answer(
        REPLY.gatewayTimeout,
        `connect to ${destination} failed: ${(error as Error).message}`,
      );
    }
    let tunnel: TunnelInfo;
    if (forward === undefined) {
      await tube.send(REPLY.ok);
      options.log?.(`HTTP CONNECT tunnel ${client} -> ${destination}`);
      tunnel = { client, destination, protocol: 'http-connect' };
      options.onTunnel?.(tunnel);
    } else {
      await upstream.send(forward);
      options.log?.(`HTTP ${method} ${client} -> ${destination}`);
      tunnel = { client, destination, protocol: 'http-forward' };
      options.onTunnel?.(tunnel);
    }
    const clientStream = tube.toStream();
    const bytes = await splice(clientStream, upstream.toStream(), {
      signal: info.signal,
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    });
    options.onTunnelEnd?.(tunnel, clientBytes(clientStream, tube, bytes));
  };
}

/** `http://host[:port]/path?query` → where to connect and the origin-form target. */
function originOf(target: string): { host: string; port: number; path: string } | undefined {
  if (!/^http:\/\//i.test(target)) return undefined;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: url.port === '' ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
  };
}

/**
 * The request as the origin gets it (as ncat sends it): origin-form target, HTTP/1.0, the
 * client's end-to-end headers, then `Host` and `Connection: close`.
 */
function forwardedHead(head: HttpRequestHead, path: string, hostHeader: string): string {
  const named = new Set(
    headerValues(head.headers, 'connection')
      .flatMap((value) => value.split(','))
      .map((name) => name.trim().toLowerCase()),
  );
  const kept = head.headers.filter(([name]: HeaderField) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !named.has(lower);
  });
  const lines = [
    `${head.method} ${path} HTTP/1.0`,
    ...kept.map(([name, value]) => `${name}: ${value}`),
    `Host: ${hostHeader}`,
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
