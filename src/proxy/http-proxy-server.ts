import { randomBytes } from 'node:crypto';
import { formatHostPort, parseHostPort } from '../address/host-port.js';
import { EOFError } from '../errors.js';
import type { ConnectionInfo, Handler } from '../server/types.js';
import type { Tube } from '../tube/tube.js';
import { basicCredentialsMatch } from './basic-auth.js';
import {
  connectDestination,
  refusalMessage,
  refusedDestination,
  runTunnel,
} from './destination.js';
import { DigestVerifier } from './digest-server.js';
import { enterHandshake, TunnelLimit } from './handshake-phase.js';
import { type BodyFramer, requestBodyFramer } from './http-body.js';
import {
  type HeaderField,
  HttpHeadError,
  type HttpRequestHead,
  type HttpResponseHead,
  headerValues,
  parseRequestHead,
  parseResponseHead,
} from './http-head.js';
import {
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './proxy-server-options.js';
import { isIncompleteHandshake, readHandshake } from './read-handshake.js';
import { appendVia, MAX_VIA_HOPS, viaHops, viaNames } from './via.js';

/** The replies, byte for byte as ncat 7.93's proxy server sends them (HTTP/1.0, no body). */
const REPLY = {
  ok: 'HTTP/1.0 200 OK\r\n\r\n',
  badRequest: 'HTTP/1.0 400 Bad Request\r\n\r\n',
  forbidden: 'HTTP/1.0 403 Forbidden\r\n\r\n',
  methodNotAllowed: 'HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n',
  tooLarge: 'HTTP/1.0 413 Request Entity Too Large\r\n\r\n',
  badGateway: 'HTTP/1.0 502 Bad Gateway\r\n\r\n',
  unavailable: 'HTTP/1.0 503 Service Unavailable\r\n\r\n',
  uriTooLong: 'HTTP/1.0 414 Request-URI Too Long\r\n\r\n',
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
  // Not hop-by-hop, but rewritten: the hops so far plus this one, in one header.
  'via',
]);

/** Bytes read from the client at a time while forwarding a request body. */
const BODY_READ_BYTES = 64 * 1024;

/**
 * A serve() handler that makes the server an HTTP proxy like `ncat -l --proxy-type http`:
 * CONNECT opens a tunnel; GET, HEAD and POST with an absolute `http://` URI are forwarded to the
 * origin as one HTTP/1.0 request (`Connection: close`) with exactly the body the client framed
 * (Content-Length or chunked), and the answer is relayed back. With `auth`, a request without
 * right `Proxy-Authorization` (Basic, or Digest with or without qop) gets 407 and both
 * challenges. Answers as ncat: 400 malformed, 403 a destination refused or the proxy itself (a
 * request loop, also seen in `Via`), 405 another method, 413 a head over 16 KiB, 414 a request
 * line over 8 KiB, 504 a destination that cannot be reached. The head is bounded by
 * `handshakeTimeout`.
 */
export function createHttpProxyHandler(options: ProxyServerOptions = {}): Handler {
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT;
  const digest = options.auth ? new DigestVerifier(options.auth) : undefined;
  const tunnels = new TunnelLimit(options.maxTunnels);
  // This proxy's name in Via headers: a request that already carries it has looped.
  const pseudonym = `sockcat-${randomBytes(4).toString('hex')}`;
  const authRequired = (stale = false) =>
    `HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="${digest?.realm}"\r\nProxy-Authenticate: ${digest?.challenge(stale)}\r\n\r\n`;

  return async (tube: Tube, info: ConnectionInfo) => {
    const client = tube.peerName;
    const answer = async (reply: string, why: string) => {
      options.log?.(`HTTP proxy client ${client}: ${why}`);
      await tube.send(reply).catch(() => {});
      await tube.close().catch(() => {});
    };
    const phase = enterHandshake(tube, options.handshakes, options.log, 'HTTP proxy');
    if (!phase) return;
    let head: HttpRequestHead;
    try {
      head = await readHandshake(
        tube,
        (received) => {
          const parsed = parseRequestHead(received);
          return parsed && { value: parsed, length: parsed.headLength };
        },
        performance.now() + handshakeTimeout,
        phase.heard,
      );
    } catch (error) {
      if (phase.dropped) return;
      if (error instanceof HttpHeadError) {
        const reply =
          error.reason === 'line-too-long'
            ? REPLY.uriTooLong
            : error.reason === 'too-large'
              ? REPLY.tooLarge
              : REPLY.badRequest;
        return answer(reply, error.message);
      }
      if (isIncompleteHandshake(error)) {
        return answer(REPLY.badRequest, `request not completed (${(error as Error).message})`);
      }
      throw error;
    } finally {
      phase.end();
    }
    const method = head.method.toUpperCase();
    if (method !== 'CONNECT' && method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      return answer(REPLY.methodNotAllowed, `method ${JSON.stringify(head.method)} not allowed`);
    }
    if (options.auth) {
      const given = headerValues(head.headers, 'proxy-authorization');
      const verdict =
        given.length !== 1
          ? 'missing'
          : /^digest[ \t]/i.test(given[0]!)
            ? digest!.verify(given[0]!, head.method, head.target)
            : basicCredentialsMatch(given[0], options.auth)
              ? 'ok'
              : 'wrong';
      if (verdict !== 'ok') {
        const why = verdict === 'missing' ? 'no credentials' : `${verdict} credentials`;
        return answer(authRequired(verdict === 'stale'), why);
      }
    }
    let host: string;
    let port: number;
    let forward: { head: string; body: BodyFramer } | undefined;
    if (method === 'CONNECT') {
      try {
        ({ host, port } = parseHostPort(head.target));
      } catch {
        return answer(REPLY.badRequest, `bad CONNECT target ${JSON.stringify(head.target)}`);
      }
      if (host === '') return answer(REPLY.badRequest, 'CONNECT without a host');
    } else {
      const origin = originOf(head.target);
      if (origin === undefined) {
        return answer(
          REPLY.badRequest,
          `not an absolute http:// URI: ${JSON.stringify(head.target)}`,
        );
      }
      ({ host, port } = origin);
      const hops = viaHops(head.headers);
      if (viaNames(hops, pseudonym)) {
        return answer(REPLY.forbidden, 'request came back through this proxy (Via: loop)');
      }
      if (hops.length >= MAX_VIA_HOPS) {
        return answer(REPLY.forbidden, `request made ${hops.length} hops already (Via)`);
      }
      let body: BodyFramer;
      try {
        body = requestBodyFramer(head.headers);
      } catch (error) {
        return answer(REPLY.badRequest, (error as Error).message);
      }
      if (method === 'POST' && body.kind === 'none') {
        // As ncat: a POST says how long its body is (Content-Length or chunked).
        return answer(REPLY.badRequest, 'POST without Content-Length or chunked body');
      }
      const via = appendVia(hops, head.version, pseudonym);
      forward = {
        head: forwardedHead(head, origin.path, formatHostPort(host, port), via, body),
        body,
      };
    }
    const refused = await refusedDestination(host, port, tube, info, options);
    if (refused) return answer(REPLY.forbidden, refusalMessage(refused, host, port));
    if (!tunnels.tryOpen()) {
      return answer(REPLY.unavailable, `${tunnels.max} tunnels open already (-m)`);
    }
    try {
      await relay(tube, info, options, method, host, port, forward);
    } finally {
      tunnels.close();
    }
  };
}

/** Connect to the destination, then tunnel (CONNECT) or forward the request. */
async function relay(
  tube: Tube,
  info: ConnectionInfo,
  options: ProxyServerOptions,
  method: string,
  host: string,
  port: number,
  forward: { head: string; body: BodyFramer } | undefined,
): Promise<void> {
  const client = tube.peerName;
  const destination = formatHostPort(host, port);
  const answer = async (reply: string, why: string) => {
    options.log?.(`HTTP proxy client ${client}: ${why}`);
    await tube.send(reply).catch(() => {});
    await tube.close().catch(() => {});
  };
  let upstream: Tube;
  try {
    upstream = await connectDestination(host, port, info, options);
  } catch (error) {
    return answer(
      REPLY.gatewayTimeout,
      `connect to ${destination} failed: ${(error as Error).message}`,
    );
  }
  if (forward === undefined) {
    await tube.send(REPLY.ok);
    options.log?.(`HTTP CONNECT tunnel ${client} -> ${destination}`);
    const tunnel: TunnelInfo = { client, destination, protocol: 'http-connect' };
    return runTunnel(tube, upstream, tunnel, info, options);
  }
  options.log?.(`HTTP ${method} ${client} -> ${destination}`);
  const tunnel: TunnelInfo = { client, destination, protocol: 'http-forward' };
  options.onTunnel?.(tunnel);
  const abort = () => upstream.destroy();
  info.signal.addEventListener('abort', abort, { once: true });
  try {
    await upstream.send(forward.head);
    await exchange(tube, upstream, forward.body, info.signal, options.log);
  } finally {
    info.signal.removeEventListener('abort', abort);
    upstream.destroy();
    options.onTunnelEnd?.(tunnel, { sent: tube.bytesSent, received: tube.bytesReceived }, 'done');
  }
}

/**
 * One forwarded request: the body goes to the origin (exactly as framed; what follows it is
 * dropped, as ncat does) while the origin's answer comes back, until the origin closes. The
 * client's end of file before the body is complete ends the origin's side too, so that nothing
 * waits for bytes that will never come; a complete body leaves the origin's side open (as ncat).
 */
async function exchange(
  client: Tube,
  origin: Tube,
  body: BodyFramer,
  signal: AbortSignal,
  log: ((message: string) => void) | undefined,
): Promise<void> {
  const sendBody = async () => {
    while (!body.done) {
      let chunk: Buffer;
      try {
        chunk = await client.recv(BODY_READ_BYTES, { signal });
      } catch (error) {
        // End of file before the body is complete: the origin learns it the same way.
        if (error instanceof EOFError) await origin.shutdown('send');
        return;
      }
      let n: number;
      try {
        n = body.take(chunk);
      } catch (error) {
        log?.(`HTTP proxy client ${client.peerName}: ${(error as Error).message}`);
        await origin.shutdown('send');
        return;
      }
      if (n > 0) await origin.send(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
  };
  // Both at once: an origin that answers before the body is complete (413) is still heard.
  const sending = sendBody().catch(() => {});
  let answer: HttpResponseHead;
  try {
    answer = await readHandshake(
      origin,
      (received) => {
        const parsed = parseResponseHead(received);
        return parsed && { value: parsed, length: parsed.headLength };
      },
      Number.POSITIVE_INFINITY,
    );
  } catch (error) {
    if (!(error instanceof HttpHeadError) && !isIncompleteHandshake(error)) throw error;
    log?.(
      `HTTP proxy client ${client.peerName}: origin ${origin.peerName}: no HTTP answer (${(error as Error).message})`,
    );
    await client.send(REPLY.badGateway);
    await client.close();
    await sending;
    return;
  }
  await client.send(answeredHead(answer));
  for (;;) {
    let chunk: Buffer;
    try {
      chunk = await origin.recv(BODY_READ_BYTES, { signal });
    } catch (error) {
      if (error instanceof EOFError) break;
      throw error;
    }
    await client.send(chunk);
  }
  await client.close();
  await sending;
}

/**
 * The origin's answer head as the client gets it, as ncat sends it: HTTP/1.0, the origin's
 * headers without `Connection`, `Keep-Alive` and those `Connection` names, then
 * `Connection: close` (this proxy closes after one answer).
 */
function answeredHead(answer: HttpResponseHead): string {
  const named = connectionNames(answer.headers);
  const kept = answer.headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== 'connection' && lower !== 'keep-alive' && !named.has(lower);
  });
  const status = `HTTP/1.0 ${answer.statusCode}${answer.reason === '' ? '' : ` ${answer.reason}`}`;
  const lines = [status, ...kept.map(([name, value]) => `${name}: ${value}`), 'Connection: close'];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The header names a `Connection` header lists (RFC 9110 section 7.6.1), in lower case. */
function connectionNames(headers: readonly HeaderField[]): Set<string> {
  return new Set(
    headerValues(headers, 'connection')
      .flatMap((value) => value.split(','))
      .map((name) => name.trim().toLowerCase()),
  );
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
 * client's end-to-end headers one line each in their order, then `Via`, `Host` and
 * `Connection: close`. A chunked body goes on as HTTP/1.1, the version that defines chunking.
 */
function forwardedHead(
  head: HttpRequestHead,
  path: string,
  hostHeader: string,
  via: string,
  body: BodyFramer,
): string {
  const named = connectionNames(head.headers);
  const kept = head.headers.filter(([name]: HeaderField) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !named.has(lower);
  });
  const lines = [
    `${head.method} ${path} HTTP/${body.kind === 'chunked' ? '1.1' : '1.0'}`,
    ...kept.map(([name, value]) => `${name}: ${value}`),
    `Via: ${via}`,
    `Host: ${hostHeader}`,
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
