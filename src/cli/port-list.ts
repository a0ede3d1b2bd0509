import { parsePort } from '../address/port.js';
import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';

/** Ports a -z scan may cover at most (every TCP port once). */
export const MAX_SCAN_PORTS = 65535;

/**
 * Parse a port list for -z: single ports and inclusive ranges, comma separated
 * (`20-30,80,443`). Duplicates are dropped; the order of first appearance is kept. Pure.
 */
export function parsePortList(text: string): number[] {
  const seen = new Set<number>();
  // Items are taken as given: " 80" is refused, as a port is anywhere else.
  for (const item of text.split(',')) {
    if (item === '') throw new ArgumentError(`invalid port list ${quoteInput(text)}: empty item`);
    const dash = item.indexOf('-');
    if (dash !== -1 && (dash === 0 || dash === item.length - 1)) {
      const missing = item === '-' ? 'both ports' : dash === 0 ? 'the first port' : 'the last port';
      throw new ArgumentError(
        `invalid port range ${quoteInput(item)}: ${missing} missing (write a range as LOW-HIGH, e.g. 20-25)`,
      );
    }
    const [low, high] =
      dash === -1
        ? [parsePort(item), parsePort(item)]
        : [parsePort(item.slice(0, dash)), parsePort(item.slice(dash + 1))];
    if (low === 0 || high === 0) {
      throw new ArgumentError(`invalid port list ${quoteInput(text)}: port 0 cannot be scanned`);
    }
    if (low > high) {
      throw new ArgumentError(`invalid port range ${quoteInput(item)}: ${low} is above ${high}`);
    }
    for (let port = low; port <= high; port++) seen.add(port);
  }
  return [...seen];
}
