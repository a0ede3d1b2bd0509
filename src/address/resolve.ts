import { AbortError, ArgumentError, describeSystemError, ResolveError } from '../errors.js';
import { ipFamily } from './ip.js';
import { quoteInput } from './quote.js';

export type Family = 0 | 4 | 6;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The DNS seam: same shape as `dns.promises.lookup(host, { all: true, family })`. Tests inject one
 * that fails or never answers instead of patching node:dns.
 */
export type LookupFunction = (
  host: string,
  options: { all: true; family: Family },
) => Promise<Array<{ address: string; family: number }>>;

export interface ResolveOptions {
  /** 4 or 6 to force a family (ncat's -4/-6); 0 for both. */
  family?: Family;
  /** Refuse host names: only IP literals (ncat's -n). */
  numericOnly?: boolean;
  lookup?: LookupFunction;
  signal?: AbortSignal;
}

/**
 * node:dns loads on the first name to resolve: loading it sets up a resolver (reading
 * /etc/resolv.conf), which a connect to an IP address never needs.
 */
const defaultLookup: LookupFunction = async (host, options) =>
  (await import('node:dns/promises')).lookup(host, options);

/**
 * Resolve a host to every address of the allowed families, in the resolver's order.
 * IP literals are returned as they are, without a lookup.
 */
export async function resolveHost(
  host: string,
  options: ResolveOptions = {},
): Promise<ResolvedAddress[]> {
  const family = options.family ?? 0;
  const literal = ipFamily(host);
  if (literal !== 0) {
    if (family !== 0 && family !== literal) {
      throw new ResolveError(
        `address ${quoteInput(host)} is IPv${literal} but IPv${family} was requested`,
        { address: host },
      );
    }
    return [{ address: host, family: literal }];
  }
  if (options.numericOnly) {
    throw new ArgumentError(
      `${quoteInput(host)} is not a numeric IP address and name resolution is disabled (-n)`,
      { address: host },
    );
  }
  if (host === '') throw new ArgumentError('empty host name');
  options.signal?.throwIfAborted();
  let results: Array<{ address: string; family: number }>;
  try {
    const pending = (options.lookup ?? defaultLookup)(host, { all: true, family });
    results = options.signal ? await raceAbort(pending, options.signal, host) : await pending;
  } catch (error) {
    if (error instanceof AbortError) throw error;
    throw new ResolveError(
      `host cannot be resolved: ${quoteInput(host)} (${describeSystemError(error)})`,
      { address: host, cause: error },
    );
  }
  const addresses = results
    .filter((r) => (r.family === 4 || r.family === 6) && (family === 0 || r.family === family))
    .map((r) => ({ address: r.address, family: r.family as 4 | 6 }));
  if (addresses.length === 0) {
    const which = family === 0 ? '' : ` IPv${family}`;
    throw new ResolveError(`host cannot be resolved: ${quoteInput(host)} has no${which} address`, {
      address: host,
    });
  }
  return addresses;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, host: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new AbortError(`resolve ${quoteInput(host)} aborted`, { op: 'resolve', address: host }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Order addresses for connection attempts as RFC 8305 (happy eyeballs) section 4 does: keep the
 * resolver's first choice first, then alternate families.
 */
export function interleaveFamilies(addresses: readonly ResolvedAddress[]): ResolvedAddress[] {
  const first = addresses[0];
  if (first === undefined) return [];
  const preferred = addresses.filter((a) => a.family === first.family);
  const other = addresses.filter((a) => a.family !== first.family);
  const ordered: ResolvedAddress[] = [];
  for (let i = 0; i < Math.max(preferred.length, other.length); i++) {
    const p = preferred[i];
    const o = other[i];
    if (p) ordered.push(p);
    if (o) ordered.push(o);
  }
  return ordered;
}

/** The address to bind for listening, and whether the socket must be IPv6 only. */
export interface ListenAddress {
  address: string;
  family: 4 | 6;
  /** True for `-6` without a host: the wildcard socket must not take IPv4 too. */
  ipv6Only: boolean;
}

/**
 * Where to listen: without a host the wildcard of the family ('::', dual-stack unless IPv6 is
 * forced; '0.0.0.0' for IPv4); with one, its first resolved address.
 */
export async function resolveListenAddress(
  host: string,
  options: ResolveOptions = {},
): Promise<ListenAddress> {
  const family = options.family ?? 0;
  if (host === '') {
    return family === 4
      ? { address: '0.0.0.0', family: 4, ipv6Only: false }
      : { address: '::', family: 6, ipv6Only: family === 6 };
  }
  const [first] = await resolveHost(host, options);
  return { address: first!.address, family: first!.family, ipv6Only: false };
}
