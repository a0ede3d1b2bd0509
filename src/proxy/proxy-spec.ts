import { formatHostPort } from '../address/host-port.js';
import { isIPv6 } from '../address/ip.js';
import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';

/** The protocols sockcat speaks to a proxy (ncat's --proxy-type). */
export type ProxyType = 'http' | 'socks4' | 'socks5';

/**
 * Where destination host names are resolved (ncat's --proxy-dns): `remote` (the default) passes
 * names to the proxy, `local` resolves them here, `both` tries here first and passes names that
 * do not resolve, `none` accepts only IP literals.
 */
export type ProxyDns = 'local' | 'remote' | 'both' | 'none';

export const PROXY_TYPES: readonly ProxyType[] = ['http', 'socks4', 'socks5'];
export const PROXY_DNS_MODES: readonly ProxyDns[] = ['local', 'remote', 'both', 'none'];

/** The proxy protocols' well-known ports, used when a proxy is given without one (as ncat). */
export const DEFAULT_PROXY_PORTS: Readonly<Record<ProxyType, number>> = {
  http: 3128,
  socks4: 1080,
  socks5: 1080,
};

/** Credentials: HTTP Basic/Digest and SOCKS5 use both; SOCKS4 sends `username` as its user id. */
export interface ProxyAuth {
  username: string;
  password: string;
  /**
   * The credentials exactly as given (`a`, `:a`, or empty), when they came as one string
   * (`--proxy-auth`). HTTP Basic sends these bytes, as ncat does, rather than `username:password`
   * (which would add a colon to `a`).
   */
  text?: string;
}

/** One hop of a proxy chain. */
export interface ProxyHop {
  type: ProxyType;
  host: string;
  port: number;
  auth?: ProxyAuth;
}

/**
 * `user:pass` (or `user` alone, SOCKS4's form); the password may contain colons. As ncat, an
 * empty user name (`:pass`, or nothing at all) is taken: HTTP Basic sends it as given; a SOCKS5
 * proxy refuses it (`--proxy` checks that).
 */
export function parseProxyAuth(text: string): ProxyAuth {
  const colon = text.indexOf(':');
  if (colon === -1) return { username: text, password: '', text };
  return { username: text.slice(0, colon), password: text.slice(colon + 1), text };
}

export function parseProxyType(text: string): ProxyType {
  const type = text.toLowerCase();
  if ((PROXY_TYPES as readonly string[]).includes(type)) return type as ProxyType;
  throw new ArgumentError(
    `invalid --proxy-type ${JSON.stringify(text)} (use http, socks4 or socks5)`,
  );
}

export function parseProxyDns(text: string): ProxyDns {
  const mode = text.toLowerCase();
  if ((PROXY_DNS_MODES as readonly string[]).includes(mode)) return mode as ProxyDns;
  throw new ArgumentError(
    `invalid --proxy-dns ${JSON.stringify(text)} (use local, remote, both or none)`,
  );
}

const SCHEMES: Readonly<Record<string, ProxyType>> = {
  http: 'http',
  socks4: 'socks4',
  socks4a: 'socks4',
  socks5: 'socks5',
  socks5h: 'socks5',
};

/** What a hop given without a scheme takes from --proxy-type and --proxy-auth. */
export interface ProxyDefaults {
  type: ProxyType;
  auth?: ProxyAuth | undefined;
}

/**
 * One hop: `host`, `host:port`, `[v6]:port`, or a URL `socks5://user:pass@host:port` (schemes
 * http, socks4, socks4a, socks5, socks5h; user and password percent-decoded). A plain hop takes
 * the default type and credentials; a URL hop carries its own (and has none unless it says so).
 */
export function parseProxySpec(text: string, defaults: ProxyDefaults): ProxyHop {
  const trimmed = text.trim();
  if (trimmed === '') throw new ArgumentError('invalid --proxy "": empty proxy address');
  const scheme = /^([a-z0-9]+):\/\//i.exec(trimmed);
  if (!scheme) {
    const { host, port } = splitHostPort(trimmed, DEFAULT_PROXY_PORTS[defaults.type], text);
    return { type: defaults.type, host, port, ...(defaults.auth ? { auth: defaults.auth } : {}) };
  }
  const type = SCHEMES[scheme[1]!.toLowerCase()];
  if (type === undefined) {
    throw new ArgumentError(
      `invalid --proxy ${JSON.stringify(redact(text))}: unknown scheme "${scheme[1]}" (use http, socks4, socks4a or socks5)`,
    );
  }
  let rest = trimmed.slice(scheme[0].length).replace(/\/$/, '');
  let auth: ProxyAuth | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), text);
    const password = colon === -1 ? '' : decode(userinfo.slice(colon + 1), text);
    if (username === '') {
      throw new ArgumentError(`invalid --proxy ${JSON.stringify(redact(text))}: no user name`);
    }
    auth = { username, password };
  }
  if (rest.includes('/')) {
    throw new ArgumentError(
      `invalid --proxy ${JSON.stringify(redact(text))}: a proxy URL has no path`,
    );
  }
  const { host, port } = splitHostPort(rest, DEFAULT_PROXY_PORTS[type], text);
  return { type, host, port, ...(auth ? { auth } : {}) };
}

/** Every --proxy value (each may be a comma list), in order: the chain, first hop first. */
export function parseProxyChain(values: readonly string[], defaults: ProxyDefaults): ProxyHop[] {
  return values.flatMap((value) => value.split(',')).map((hop) => parseProxySpec(hop, defaults));
}

/** `socks5://host:port` for messages and events; never shows credentials. */
export function formatProxy(proxy: ProxyHop): string {
  return `${proxy.type}://${formatHostPort(proxy.host, proxy.port)}`;
}

function splitHostPort(text: string, defaultPort: number, original: string) {
  const bad = (why: string) =>
    new ArgumentError(`invalid --proxy ${JSON.stringify(redact(original))}: ${why}`);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw bad('missing "]"');
    const host = text.slice(1, close);
    if (!isIPv6(host)) throw bad('not an IPv6 address');
    const rest = text.slice(close + 1);
    if (rest === '') return { host, port: defaultPort };
    if (!rest.startsWith(':')) throw bad('expected ":port" after "]"');
    return { host, port: portOf(rest.slice(1), original) };
  }
  // A bare IPv6 literal has no port (write [v6]:port for one).
  if (isIPv6(text)) return { host: text, port: defaultPort };
  const colon = text.lastIndexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  if (host === '') throw bad('no host');
  if (host.includes(':')) throw bad('write IPv6 addresses as "[addr]:port"');
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw bad('not a host name or address');
  return { host, port: colon === -1 ? defaultPort : portOf(text.slice(colon + 1), original) };
}

function portOf(text: string, original: string): number {
  try {
    return parsePort(text, 'proxy port');
  } catch {
    throw new ArgumentError(
      `invalid --proxy ${JSON.stringify(redact(original))}: bad port ${JSON.stringify(text)}`,
    );
  }
}

function decode(text: string, original: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ArgumentError(
      `invalid --proxy ${JSON.stringify(redact(original))}: bad percent-encoding in credentials`,
    );
  }
}

/** Hide a password in a URL echoed back in an error (`socks5://user:***@host`). */
function redact(text: string): string {
  return text.replace(/^([a-z0-9]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
