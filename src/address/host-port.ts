import { ArgumentError } from '../errors.js';
import { isIPv6 } from './ip.js';
import { parsePort } from './port.js';
import { quoteInput } from './quote.js';

export interface HostPort {
  /** Host name or IP literal, without brackets. Empty when the text gave only a port. */
  host: string;
  port: number;
}

/**
 * Parse `host:port`, `[v6]:port`, `v6addr` plus a separate port, or `:port`.
 * A bare IPv6 literal without brackets cannot carry a port (`::1:80` is ambiguous) and is refused.
 */
export function parseHostPort(text: string): HostPort {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw new ArgumentError(`invalid address ${quoteInput(text)}: missing "]"`);
    const host = text.slice(1, close);
    if (!isIPv6(host)) {
      throw new ArgumentError(`invalid address ${quoteInput(text)}: not an IPv6 address`);
    }
    const rest = text.slice(close + 1);
    if (!rest.startsWith(':')) {
      throw new ArgumentError(`invalid address ${quoteInput(text)}: missing ":port"`);
    }
    return { host, port: parsePort(rest.slice(1)) };
  }
  const colon = text.lastIndexOf(':');
  if (colon === -1) {
    throw new ArgumentError(`invalid address ${quoteInput(text)}: missing ":port"`);
  }
  const host = text.slice(0, colon);
  if (host.includes(':')) {
    throw new ArgumentError(
      `invalid address ${quoteInput(text)}: write IPv6 addresses as "[addr]:port"`,
    );
  }
  return { host, port: parsePort(text.slice(colon + 1)) };
}

/** `host:port`, with brackets around IPv6 literals: the inverse of parseHostPort. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Strip one pair of brackets from a host given on its own (`[::1]` → `::1`). An opening bracket
 * without its closing one (`[::1`) is an ArgumentError, as in parseHostPort.
 */
export function unbracket(host: string): string {
  if (!host.startsWith('[')) return host;
  if (!host.endsWith(']'))
    throw new ArgumentError(`invalid address ${quoteInput(host)}: missing "]"`);
  return host.slice(1, -1);
}
