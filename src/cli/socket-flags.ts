import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';
import type { SocketOptions } from '../transports/socket-options.js';
import { parseDuration } from './duration.js';

/**
 * The IP type-of-service names nc(1) accepts for -T, with their byte values: the old RFC 1349
 * names, the DiffServ code points (RFC 2474, 2597, 3246) shifted into the TOS byte.
 */
export const TOS_KEYWORDS: Readonly<Record<string, number>> = {
  lowdelay: 0x10,
  throughput: 0x08,
  reliability: 0x04,
  lowcost: 0x02,
  critical: 0xa0,
  inetcontrol: 0xc0,
  netcontrol: 0xe0,
  ef: 0xb8,
  ...Object.fromEntries(
    [1, 2, 3, 4].flatMap((klass) =>
      [1, 2, 3].map((drop) => [`af${klass}${drop}`, ((klass << 3) | (drop << 1)) << 2]),
    ),
  ),
  ...Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((n) => [`cs${n}`, (n << 3) << 2])),
};

/** -T VALUE: a keyword (lowdelay, af21, cs5, ef, ...), or a number 0-255 (decimal or 0x hex). */
export function parseTos(text: string): number {
  const keyword = TOS_KEYWORDS[text.toLowerCase()];
  if (keyword !== undefined) return keyword;
  const value = /^0x[0-9a-f]{1,2}$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d{1,3}$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new ArgumentError(
      `invalid -T type of service ${quoteInput(text)} (a number 0-255, or one of ${Object.keys(TOS_KEYWORDS).join(', ')})`,
    );
  }
  return value;
}

/** --ttl N: 1-255. */
export function parseTtl(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 255) {
    throw new ArgumentError(`invalid --ttl ${quoteInput(text)} (a whole number from 1 to 255)`);
  }
  return Number(text);
}

/** -I / -O LENGTH: a buffer size in bytes (suffixes k and m accepted). */
export function parseBufferSize(text: string, flag: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text);
  const scale = { '': 1, k: 1024, m: 1024 * 1024 }[(match?.[2] ?? '').toLowerCase()] ?? 1;
  const bytes = match ? Number(match[1]) * scale : Number.NaN;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 2 ** 31 - 1) {
    throw new ArgumentError(
      `invalid ${flag} buffer size ${quoteInput(text)} (bytes, e.g. 65536 or 64k)`,
    );
  }
  return bytes;
}

/**
 * --keepalive[=IDLE[,INTERVAL[,COUNT]]]: TCP keepalive, with the idle time before the first
 * probe and the interval between probes (durations, seconds by default), and the probes that
 * go unanswered before the connection is dropped. Empty: the system's defaults.
 */
export function parseKeepAlive(text: string): NonNullable<SocketOptions['keepAlive']> {
  if (text === '') return true;
  const [idle, interval, count, ...extra] = text.split(',');
  if (extra.length > 0) {
    throw new ArgumentError(`invalid --keepalive ${quoteInput(text)} (IDLE[,INTERVAL[,COUNT]])`);
  }
  const probes = count === undefined || count === '' ? undefined : Number(count);
  if (probes !== undefined && (!Number.isInteger(probes) || probes < 1 || probes > 127)) {
    throw new ArgumentError(`invalid --keepalive probe count ${quoteInput(String(count))} (1-127)`);
  }
  const time = (value: string | undefined) =>
    value === undefined || value === '' ? undefined : parseDuration(value, '--keepalive');
  const settings = { idle: time(idle), interval: time(interval), count: probes };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
