import type { Socket } from 'node:net';
import { formatHostPort } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { type Family, type LookupFunction, resolveHost } from '../address/resolve.js';
import { AbortError, ProxyError, ResolveError, TimeoutError } from '../errors.js';
import type { AuthChallenge } from './auth-challenge.js';
import { basicAuthorization } from './basic-auth.js';
import { digestAuthorization } from './digest.js';
import { httpConnect } from './http-connect.js';
import type { ProxyDns, ProxyHop } from './proxy-spec.js';
import { socksConnect } from './socks-connect.js';

/** Per-hop handshake deadline when none is given (ncat's connect timeout). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** The longest delay a Node timer takes (the SOCKS client's backstop must stay finite). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ProxyChainOptions {
  /** Opens the TCP connection to the first proxy (resolution, happy eyeballs, source address). */
  connect: (host: string, port: number) => Promise<Socket>;
  /** Where destination names are resolved; default 'remote' (as ncat). */
  dns?: ProxyDns;
  /** Address family for local resolution (SOCKS4 always resolves IPv4). */
  family?: Family;
  /** Milliseconds each proxy gets to answer its handshake. Default 10000. */
  handshakeTimeout?: number;
  lookup?: LookupFunction;
  signal?: AbortSignal;
}

interface AuthRequired {
  kind: 'auth-required';
  hop: number;
  challenges: AuthChallenge[];
  reply: string;
}

/**
 * Open a tunnel to `target` through every proxy of `chain` in order: TCP to the first, then each
 * proxy is asked to connect to the next hop, the last one to the target. Resolves to the
 * connected socket (plain TCP to the first proxy, carrying the tunnel), paused, with any bytes
 * that arrived after the last handshake still in it. An HTTP proxy answering 407 is asked again
 * on a new connection with the credentials of its hop (Digest when it offers Digest, else Basic),
 * as ncat does; the whole chain is then rebuilt.
 */
export async function connectThroughProxies(
  target: { host: string; port: number },
  chain: readonly ProxyHop[],
  options: ProxyChainOptions,
): Promise<Socket> {
  if (chain.length === 0) throw new ProxyError('empty proxy chain', '');
  // What can be refused without a byte on the wire is refused first.
  for (const [hop, proxy] of chain.entries()) {
    const next = chain[hop + 1] ?? target;
    if (proxy.type === 'socks4' && ipFamily(next.host) === 6) throw socks4Ipv6(proxy, next.host);
  }
  const authorizations: Array<string | undefined> = chain.map(() => undefined);
  for (;;) {
    const result = await attempt(target, chain, authorizations, options);
    if (result.kind === 'connected') return result.socket;
    const proxy = chain[result.hop]!;
    const name = formatHostPort(proxy.host, proxy.port);
    if (authorizations[result.hop] !== undefined) {
      throw new ProxyError(
        `proxy ${name} refused the credentials of --proxy-auth: ${result.reply}`,
        name,
        { reply: result.reply },
      );
    }
    if (!proxy.auth) {
      throw new ProxyError(
        `proxy ${name} requires authentication (${result.reply}); give --proxy-auth user:pass`,
        name,
        { reply: result.reply },
      );
    }
    const next = chain[result.hop + 1] ?? target;
    const uri = formatHostPort(next.host, next.port);
    const digest = result.challenges.find((c) => c.scheme === 'digest');
    const answer = digest ? digestAuthorization(digest, proxy.auth, 'CONNECT', uri) : undefined;
    const basic = result.challenges.find((c) => c.scheme === 'basic');
    if (answer === undefined && !basic && result.challenges.length > 0) {
      throw new ProxyError(
        `proxy ${name} asks for authentication schemes sockcat does not speak (${result.challenges.map((c) => c.scheme).join(', ')})`,
        name,
        { reply: result.reply },
      );
    }
    authorizations[result.hop] = answer ?? basicAuthorization(proxy.auth);
  }
}

async function attempt(
  target: { host: string; port: number },
  chain: readonly ProxyHop[],
  authorizations: ReadonlyArray<string | undefined>,
  options: ProxyChainOptions,
): Promise<{ kind: 'connected'; socket: Socket } | AuthRequired> {
  const first = chain[0]!;
  // Loaded before connecting: between the connect and the SOCKS client's own listeners there
  // must be no turn of the event loop in which an error finds nobody listening.
  if (chain.some((hop) => hop.type !== 'http')) await import('socks');
  const socket = await options.connect(first.host, first.port);
  const onAbort = () => socket.destroy();
  // Errors reach the handshake in progress through its own listeners (or as 'close'); this one
  // only keeps an error between two handshakes from being unhandled.
  const ignore = () => {};
  socket.on('error', ignore);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let hop = 0; hop < chain.length; hop++) {
      const proxy = chain[hop]!;
      const next = chain[hop + 1] ?? target;
      const name = formatHostPort(proxy.host, proxy.port);
      const host = await destinationHost(next.host, proxy, options);
      const destination = formatHostPort(host, next.port);
      const timeoutMs = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
      // The socket is half-open capable: a proxy's FIN in the middle of a handshake must end it
      // (the SOCKS client only watches 'close').
      const onEnd = () => socket.destroy();
      socket.once('end', onEnd);
      const handshake =
        proxy.type === 'http'
          ? httpConnect(socket, name, destination, authorizations[hop])
          : socksConnect(
              socket,
              proxy,
              name,
              host,
              next.port,
              destination,
              Math.min(timeoutMs + 1000, MAX_TIMER_MS),
            ).then(() => ({ kind: 'connected' as const }));
      const result = await withDeadline(
        handshake,
        socket,
        timeoutMs,
        name,
        destination,
        options,
      ).finally(() => socket.off('end', onEnd));
      if (result.kind === 'auth-required') {
        socket.destroy();
        return { ...result, hop };
      }
    }
    socket.pause();
    return { kind: 'connected', socket };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    socket.off('error', ignore);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The handshake, or a TimeoutError naming the proxy when it takes longer than `timeoutMs`. */
function withDeadline<T>(
  handshake: Promise<T>,
  socket: Socket,
  timeoutMs: number,
  name: string,
  destination: string,
  options: ProxyChainOptions,
): Promise<T> {
  if (options.signal?.aborted) {
    socket.destroy();
    return Promise.reject(new AbortError(`connect through proxy ${name} aborted`));
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        // Defer one turn so that a reply or socket error arriving in the same tick wins.
        setImmediate(() => {
          socket.destroy();
          reject(
            new TimeoutError(
              `proxy ${name} did not answer CONNECT to ${destination} within ${timeoutMs}ms`,
              timeoutMs,
              { op: 'proxy', address: name },
            ),
          );
        });
      }, timeoutMs);
    }
    onAbort = () => reject(new AbortError(`connect through proxy ${name} aborted`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  stop.catch(() => {});
  return Promise.race([handshake, stop]).finally(() => {
    if (timer) clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  });
}

/**
 * The destination as this proxy should see it, after --proxy-dns: a name passed through
 * (remote), resolved here (local; both falls back to the name), or refused unless it is an IP
 * literal (none). SOCKS4 carries no IPv6; a name sent to it travels as SOCKS4a.
 */
async function destinationHost(
  host: string,
  proxy: ProxyHop,
  options: ProxyChainOptions,
): Promise<string> {
  const literal = ipFamily(host);
  if (literal === 6 && proxy.type === 'socks4') throw socks4Ipv6(proxy, host);
  const dns = options.dns ?? 'remote';
  if (literal !== 0 || dns === 'remote') return host;
  if (dns === 'none') {
    throw new ResolveError(
      `destination ${JSON.stringify(host)} is not an IP address and --proxy-dns none forbids resolving it`,
      { address: host },
    );
  }
  const family: Family = proxy.type === 'socks4' ? 4 : (options.family ?? 0);
  try {
    const [first] = await resolveHost(host, {
      family,
      ...(options.lookup ? { lookup: options.lookup } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (first) return first.address;
  } catch (error) {
    if (dns === 'local') throw error;
  }
  return host;
}

function socks4Ipv6(proxy: ProxyHop, host: string): ProxyError {
  const name = formatHostPort(proxy.host, proxy.port);
  return new ProxyError(
    `proxy ${name} is SOCKS4, which cannot carry the IPv6 destination ${host} (use socks5 or http)`,
    name,
  );
}
