/**
 * Host specifications for ncat's --allow, --allowfile, --deny and --denyfile: parsing, matching
 * against a peer address, resolving the host names in them, and the allow/deny decision.
 *
 * The syntax is Nmap's, as ncat 7.93 reads it (nbase `addrset_add_spec`):
 *
 * - an IPv4 address, `192.168.0.1`;
 * - an IPv4 pattern whose octets are `*`, a number, a range `a-b` (open ranges `a-`, `-b` and `-`
 *   reach 0 or 255), or a comma list of numbers and ranges: `192.168.0-5.*`, `10.1.1.1-100`,
 *   `*.*.*.1`, `192.168.1,3.1`;
 * - an IPv6 address, `2001:db8::1` (a `%zone` is accepted and ignored, as ncat ignores it);
 * - a host name, resolved by the caller (`resolveHostSpecs`);
 * - any of these followed by `/bits`, a CIDR prefix length: `10.0.0.0/8`, `2001:db8::/32`,
 *   `example.com/24`. On an IPv4 pattern the prefix widens each octet's set the way ncat's
 *   `apply_ipv4_netmask_bits` does: `10.0.4,9.1/22` matches 10.0.4-11.*.
 *
 * Deliberately stricter than ncat, which hands anything that is not a pattern to getaddrinfo:
 * inet_aton's shorthand forms (`127.1`, `0x7f.0.0.1`) and octets with leading zeros are refused,
 * because ncat reads `0177.0.0.1` as octal (127.0.0.1) but `0177.0.0.1-2` as decimal (177).
 *
 * Matching happens in one 128-bit space where an IPv4 address is its IPv4-mapped IPv6 form, as in
 * ncat's address trie: an IPv4 spec matches `1.2.3.4` and `::ffff:1.2.3.4` alike, and an IPv6
 * spec such as `::/0` or `::ffff:0:0/96` matches IPv4 peers too.
 */

import { ArgumentError } from '../errors.js';
import { isIPv4, isIPv6 } from './ip.js';
import { bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from './ip-bytes.js';
import { quoteInput } from './quote.js';
import { type ResolveOptions, resolveHost } from './resolve.js';

/** An inclusive range of octet values; `*` is `{ start: 0, end: 255 }`. */
export interface OctetRange {
  readonly start: number;
  readonly end: number;
}

/** The values one octet may take: sorted, non-overlapping, non-adjacent ranges. */
export type OctetSet = readonly OctetRange[];

export interface IPv4HostSpec {
  readonly kind: 'ipv4';
  /** One set per octet; a plain address has a single one-value range in each. */
  readonly octets: readonly [OctetSet, OctetSet, OctetSet, OctetSet];
  /** CIDR prefix length, 0-32; 32 when the spec gave none. */
  readonly prefix: number;
}

export interface IPv6HostSpec {
  readonly kind: 'ipv6';
  /** RFC 5952 text, without a zone. Bits past the prefix are kept as written and ignored. */
  readonly address: string;
  /** CIDR prefix length, 0-128; 128 when the spec gave none. */
  readonly prefix: number;
}

/** A host name. It matches nothing until `resolveHostSpecs` replaces it with its addresses. */
export interface NameHostSpec {
  readonly kind: 'name';
  readonly name: string;
  /** Applied to every address of the name; undefined means the whole address (32 or 128). */
  readonly prefix: number | undefined;
}

export type HostSpec = IPv4HostSpec | IPv6HostSpec | NameHostSpec;

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;
const IPV4_PATTERN_CHARS = /^[0-9.*,-]+$/;

/** Parse one host specification (no commas between specs, no whitespace). */
export function parseHostSpec(text: string): HostSpec {
  return parseSpec(text, '');
}

/**
 * Parse an --allow/--deny value. ncat splits it on commas only (strtok), so empty items are
 * skipped, `""` gives an empty list (which, given to --allow, admits no one), spaces are part of a
 * spec and make it invalid, and an octet list such as `192.168.1,3.1` cannot be written here: it is
 * two specs. Host files keep commas inside specs.
 */
export function parseHostSpecList(text: string): HostSpec[] {
  const specs: HostSpec[] = [];
  for (const item of text.split(',')) {
    if (item === '') continue;
    try {
      specs.push(parseSpec(item, ''));
    } catch (error) {
      if (error instanceof ArgumentError && looksLikeOctetListPiece(item, text)) {
        throw new ArgumentError(
          `${error.message} (commas separate host specifications in this list; put octet lists ` +
            `like "192.168.1,3.1" in an --allowfile or --denyfile)`,
        );
      }
      throw error;
    }
  }
  return specs;
}

/**
 * Parse the contents of an --allowfile/--denyfile: specs separated by any whitespace (one or more
 * per line, as ncat's `addrset_add_file` reads them); commas stay inside a spec. Blank lines are
 * skipped, and `#` starts a comment to the end of the line (an extension: ncat 7.93 rejects `#` as
 * an unresolvable name, so comments change the meaning of no file ncat accepts). Errors name the
 * line, never its content.
 */
export function parseHostFile(contents: string): HostSpec[] {
  const specs: HostSpec[] = [];
  for (const [index, line] of contents.split('\n').entries()) {
    const hash = line.indexOf('#');
    const content = hash === -1 ? line : line.slice(0, hash);
    for (const item of content.split(/\s+/)) {
      if (item === '') continue;
      try {
        specs.push(parseSpec(item, ''));
      } catch {
        // A file's content is not echoed (a mistaken --denyfile /etc/shadow): its line number is.
        throw new ArgumentError(
          `line ${index + 1} is not a host specification (an IP address, a CIDR block, an nmap-style octet range or a host name)`,
        );
      }
    }
  }
  return specs;
}

/** The canonical text of a spec; parseHostSpec gives the same spec back. */
export function formatHostSpec(spec: HostSpec): string {
  switch (spec.kind) {
    case 'ipv4': {
      const octets = spec.octets.map(formatOctet).join('.');
      return spec.prefix === 32 ? octets : `${octets}/${spec.prefix}`;
    }
    case 'ipv6':
      return spec.prefix === 128 ? spec.address : `${spec.address}/${spec.prefix}`;
    case 'name':
      return spec.prefix === undefined ? spec.name : `${spec.name}/${spec.prefix}`;
  }
}

/**
 * Whether an IP literal (IPv4, IPv6, or IPv4-mapped IPv6) matches the spec. A name spec matches
 * nothing: resolve it first. Throws ArgumentError when `address` is not an IP literal.
 */
export function matchesHostSpec(spec: HostSpec, address: string): boolean {
  return compile(spec)(addressBytes(address));
}

/**
 * Replace every name spec by one spec per address the name resolves to, keeping its prefix
 * (ncat does the same when it builds its address sets). Address specs pass through without a
 * lookup. `options` is resolveHost's: `lookup` is the DNS seam, `family` is ncat's -4/-6 (it
 * limits names only), `numericOnly` is -n (any name is then an ArgumentError).
 *
 * Rejects with resolveHost's ResolveError for a name without addresses, and with ArgumentError for
 * a prefix longer than an IPv4 address it resolved to (`localhost/64`).
 */
export async function resolveHostSpecs(
  specs: readonly HostSpec[],
  options: ResolveOptions = {},
): Promise<HostSpec[]> {
  const expanded = await Promise.all(
    specs.map(async (spec): Promise<HostSpec[]> => {
      if (spec.kind !== 'name') return [spec];
      const addresses = await resolveHost(spec.name, options);
      return addresses.map(({ address, family }): HostSpec => {
        if (family === 6) {
          return {
            kind: 'ipv6',
            address: bytesToIPv6(ipv6ToBytes(address)),
            prefix: spec.prefix ?? 128,
          };
        }
        const prefix = spec.prefix ?? 32;
        if (prefix > 32) {
          throw new ArgumentError(
            `invalid host specification ${quoteInput(formatHostSpec(spec))}: prefix length ` +
              `${prefix} is too long for IPv4 address ${address} (0-32)`,
          );
        }
        return ipv4Spec(ipv4ToBytes(address), prefix);
      });
    }),
  );
  return expanded.flat();
}

export interface HostFilterOptions {
  /**
   * The --allow and --allowfile specs together. Undefined when neither option was given: then
   * this list lets everyone through. An empty list lets no one through (`ncat --allow ''`).
   */
  allow?: readonly HostSpec[] | undefined;
  /** The --deny and --denyfile specs together. */
  deny?: readonly HostSpec[] | undefined;
}

/**
 * ncat's access check (`allow_access` in ncat_core.c): a peer is admitted when it matches the
 * allow list (or there is none) and matches nothing in the deny list.
 *
 * So deny wins over allow: `ncat -l --allow 127.0.0.1 --deny 127.0.0.1 127.0.0.1 52701` drops a
 * connection from 127.0.0.1, whatever the order of the options. The ncat 7.93 man page says the
 * opposite ("--allow takes precedence"); the program and this class do not.
 *
 * Specs must be addresses: pass name specs through `resolveHostSpecs` first. A name left in a
 * list would match nothing and silently weaken a deny list, so the constructor refuses it.
 */
export class HostFilter {
  readonly #allow: Matcher[] | undefined;
  readonly #deny: Matcher[];

  constructor(options: HostFilterOptions = {}) {
    this.#allow = options.allow === undefined ? undefined : compileAll(options.allow);
    this.#deny = compileAll(options.deny ?? []);
  }

  /** Whether a peer at this IP literal may connect. */
  allows(address: string): boolean {
    const bytes = addressBytes(address);
    if (this.#allow !== undefined && !this.#allow.some((match) => match(bytes))) return false;
    return !this.#deny.some((match) => match(bytes));
  }
}

// Parsing

function parseSpec(text: string, where: string): HostSpec {
  const fail: (reason: string) => never = (reason) => {
    throw new ArgumentError(`invalid host specification ${quoteInput(text)}${where}: ${reason}`);
  };
  if (text === '') fail('it is empty');
  if (/\s/.test(text)) fail('it contains whitespace');

  const slash = text.indexOf('/');
  const body = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  const prefix = (max: number): number | undefined => {
    if (prefixText === undefined) return undefined;
    if (prefixText === '') return fail('missing prefix length after "/"');
    if (!/^\d+$/.test(prefixText)) {
      return fail(`prefix length ${quoteInput(prefixText)} is not a number`);
    }
    const bits = Number(prefixText);
    if (bits > max) fail(`prefix length ${prefixText} is out of range (0-${max})`);
    return bits;
  };

  if (body.includes(':')) {
    if (body.startsWith('[')) fail('write IPv6 addresses without brackets');
    if (!isIPv6(body)) {
      fail(
        body.indexOf(':') === body.lastIndexOf(':')
          ? 'not a valid IPv6 address (host specifications take no port)'
          : 'not a valid IPv6 address',
      );
    }
    return { kind: 'ipv6', address: bytesToIPv6(ipv6ToBytes(body)), prefix: prefix(128) ?? 128 };
  }
  if (IPV4_PATTERN_CHARS.test(body)) {
    const octets = parseIPv4Pattern(body, fail);
    return { kind: 'ipv4', octets, prefix: prefix(32) ?? 32 };
  }
  if (!isHostName(body)) {
    fail(
      body.includes('*')
        ? 'wildcards are allowed only in IPv4 addresses'
        : 'not an IP address, IPv4 range or host name',
    );
  }
  return { kind: 'name', name: body, prefix: prefix(128) };
}

function parseIPv4Pattern(
  body: string,
  fail: (reason: string) => never,
): [OctetSet, OctetSet, OctetSet, OctetSet] {
  const parts = body.split('.');
  if (parts.length !== 4) fail(`expected 4 dot-separated octets, found ${parts.length}`);
  const value = (digits: string): number => {
    if (digits.length > 1 && digits.startsWith('0')) {
      fail(`octet value "${digits}" has a leading zero (write octets in decimal without one)`);
    }
    const n = Number(digits);
    if (n > 255) fail(`octet ${digits} is out of range (0-255)`);
    return n;
  };
  const octets = parts.map((part, index): OctetSet => {
    if (part === '') fail(`octet ${index + 1} is empty`);
    if (part === '*') return [{ start: 0, end: 255 }];
    const ranges = part.split(',').map((item): OctetRange => {
      const match = /^(\d*)(-(\d*))?$/.exec(item);
      if (item === '' || match === null) {
        fail(`octet "${part}" is not a number, a range a-b, a comma list of those, or "*"`);
      }
      const [, first = '', dash, last = ''] = match!;
      if (dash === undefined) {
        const n = value(first);
        return { start: n, end: n };
      }
      const start = first === '' ? 0 : value(first);
      const end = last === '' ? 255 : value(last);
      if (end < start) fail(`octet range ${item} ends before it starts`);
      return { start, end };
    });
    return normalizeOctet(ranges);
  });
  return octets as [OctetSet, OctetSet, OctetSet, OctetSet];
}

/** Sort and merge overlapping or adjacent ranges, so that equal sets have equal forms. */
function normalizeOctet(ranges: OctetRange[]): OctetSet {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: OctetRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.start <= last.end + 1) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

function formatOctet(set: OctetSet): string {
  const [only] = set;
  if (set.length === 1 && only!.start === 0 && only!.end === 255) return '*';
  return set.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
}

function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return name.split('.').every((label) => label.length <= MAX_LABEL_LENGTH && LABEL.test(label));
}

/** A list item that only makes sense as part of an octet list (`3.1` from `192.168.1,3.1`). */
function looksLikeOctetListPiece(item: string, list: string): boolean {
  const body = item.split('/')[0]!;
  return list.includes(',') && IPV4_PATTERN_CHARS.test(body) && body.split('.').length < 4;
}

function ipv4Spec(bytes: Uint8Array, prefix: number): IPv4HostSpec {
  const octet = (i: number): OctetSet => [{ start: bytes[i]!, end: bytes[i]! }];
  return { kind: 'ipv4', octets: [octet(0), octet(1), octet(2), octet(3)], prefix };
}

// Matching, over 16-byte addresses where IPv4 is IPv4-mapped IPv6

type Matcher = (address: Uint8Array) => boolean;

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function addressBytes(address: string): Uint8Array {
  if (isIPv6(address)) return ipv6ToBytes(address);
  if (isIPv4(address)) return Buffer.concat([Buffer.from(MAPPED_PREFIX), ipv4ToBytes(address)]);
  throw new ArgumentError(
    `cannot match ${quoteInput(address)} against host specifications: not an IP address`,
  );
}

function compileAll(specs: readonly HostSpec[]): Matcher[] {
  return specs.map((spec) => {
    if (spec.kind === 'name') {
      throw new ArgumentError(
        `host specification ${quoteInput(formatHostSpec(spec))} is a host name: resolve it ` +
          'with resolveHostSpecs() before building a HostFilter',
      );
    }
    return compile(spec);
  });
}

function compile(spec: HostSpec): Matcher {
  switch (spec.kind) {
    case 'name':
      return () => false;
    case 'ipv6': {
      const network = ipv6ToBytes(spec.address);
      return (address) => samePrefix(network, address, spec.prefix);
    }
    case 'ipv4': {
      const tables = spec.octets.map((set, i) => octetTable(set, spec.prefix - 8 * i));
      return (address) =>
        MAPPED_PREFIX.every((byte, i) => address[i] === byte) &&
        tables.every((table, i) => table[address[12 + i]!] === 1);
    }
  }
}

/**
 * The 256 values an octet may take once `maskBits` (clamped to 0-8) of it are significant: a value
 * passes when some value of the set agrees with it on those bits (ncat's apply_ipv4_netmask_octet).
 */
function octetTable(set: OctetSet, maskBits: number): Uint8Array {
  const bits = Math.min(8, Math.max(0, maskBits));
  const mask = (0xff << (8 - bits)) & 0xff;
  const hit = new Uint8Array(256);
  for (const { start, end } of set) for (let v = start; v <= end; v++) hit[v & mask] = 1;
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = hit[v & mask]!;
  return table;
}

function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & mask) === (b[whole]! & mask);
}
