/** The proxy arguments: --proxy, --proxy-type, --proxy-auth, --proxy-dns into Options. Pure. */
import { ArgumentError } from '../errors.js';
import {
  type ProxyType,
  parseProxyAuth,
  parseProxyChain,
  parseProxyDns,
  parseProxyType,
} from '../proxy/proxy-spec.js';
import type { Options } from './options.js';

/**
 * --proxy, --proxy-type, --proxy-auth, --proxy-dns. Connecting: the chain (plain hops take the
 * type and credentials, URL hops their own). Listening: --proxy-type http|socks5 makes a proxy
 * server and --proxy-auth its required credentials. NCAT_PROXY_AUTH stands in for --proxy-auth.
 */
export function assignProxy(
  options: Options,
  values: Record<string, string | boolean | boolean[] | string[] | undefined>,
  env: Readonly<Record<string, string | undefined>>,
): void {
  const proxies = (values['proxy'] as string[] | undefined) ?? [];
  const typeText = values['proxy-type'] as string | undefined;
  const type: ProxyType | undefined = typeText === undefined ? undefined : parseProxyType(typeText);
  const authText = (values['proxy-auth'] as string | undefined) ?? env['NCAT_PROXY_AUTH'];
  const authGiven = values['proxy-auth'] !== undefined;
  // An explicit empty --proxy-auth is sent as such (as ncat); an empty NCAT_PROXY_AUTH is none.
  const auth =
    authText === undefined || (authText === '' && !authGiven)
      ? undefined
      : parseProxyAuth(authText);
  const dnsText = values['proxy-dns'] as string | undefined;
  if (dnsText !== undefined) options.proxyDns = parseProxyDns(dnsText);
  // With --forward, --proxy is the way to the target.
  if (options.listen && (values['forward'] === undefined || proxies.length === 0)) {
    if (proxies.length > 0) {
      throw new ArgumentError(
        '--proxy connects through a proxy; it cannot be used with -l (for a proxy server use -l --proxy-type http|socks5)',
      );
    }
    if (dnsText !== undefined) {
      throw new ArgumentError('--proxy-dns applies to connecting through a proxy, not to -l');
    }
    if (type === undefined) {
      if (authGiven) throw new ArgumentError('--proxy-auth with -l needs --proxy-type http|socks5');
      return;
    }
    if (type === 'socks4') {
      throw new ArgumentError(
        'invalid --proxy-type "socks4" with -l: sockcat\'s proxy servers speak http and socks5',
      );
    }
    const conflicts = [
      [options.exec !== undefined, '-e, -c, --js-exec and --lua-exec'],
      [options.broker, '--broker and --chat'],
      [options.udp, '-u'],
      [options.unixSocket, '-U'],
      [options.sendOnly || options.recvOnly, '--send-only and --recv-only'],
      [options.output !== undefined || options.hexDump !== undefined, '-o and -x'],
    ] as const;
    for (const [conflict, flags] of conflicts) {
      if (conflict) {
        throw new ArgumentError(`${flags} cannot be used with a proxy server (-l --proxy-type)`);
      }
    }
    if (type === 'socks5' && auth && auth.username === '') {
      throw new ArgumentError(
        '--proxy-auth for a socks5 proxy server needs a user name (SOCKS5 username/password has no empty one)',
      );
    }
    options.proxyServer = type;
    options.proxyServerAuth = auth;
    return;
  }
  if (proxies.length === 0) {
    if (type !== undefined) {
      throw new ArgumentError('--proxy-type given without a proxy address (--proxy)');
    }
    if (authGiven) throw new ArgumentError('--proxy-auth given without a proxy address (--proxy)');
    if (dnsText !== undefined) {
      throw new ArgumentError('--proxy-dns given without a proxy address (--proxy)');
    }
    return;
  }
  if (options.udp) throw new ArgumentError('--proxy tunnels TCP; it cannot be used with -u');
  if (options.unixSocket) throw new ArgumentError('--proxy cannot be used with -U');
  if (options.zero) throw new ArgumentError('-z cannot scan through a proxy (--proxy)');
  options.proxy = parseProxyChain(proxies, { type: type ?? 'http', auth });
  for (const hop of options.proxy) {
    if (hop.type === 'socks4' && hop.auth && hop.auth.password !== '') {
      throw new ArgumentError('--proxy-auth for a socks4 proxy is a user id only (no ":password")');
    }
    if (hop.type === 'socks5' && hop.auth && hop.auth.username === '') {
      throw new ArgumentError(
        '--proxy-auth for a socks5 proxy needs a user name (SOCKS5 username/password has no empty one)',
      );
    }
  }
}
