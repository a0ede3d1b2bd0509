import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';

/** Ports a -z scan may cover at most (every TCP port once). */
export const MAX_SCAN_PORTS = 65535;

/**
 * Parse a port list for -z: single ports and inclusive ranges, comma separated
 * (`20-30,80,443`). Duplicates are dropped; the order of first appearance is kept. Pure.
 */
export function parsePortList(text: string): number[] {
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '')
      throw new ArgumentError(`invalid port list ${JSON.stringify(text)}: empty item`);
    const dash = item.indexOf('-');
    const [low, high] =
      dash === -1
        ? [parsePort(item), parsePort(item)]
        : [parsePort(item.slice(0, dash)), parsePort(item.slice(dash + 1))];
    if (low === 0 || high === 0) {
      throw new ArgumentError(
        `invalid port list ${JSON.stringify(text)}: port 0 cannot be scanned`,
      );
    }
    if (low > high) {
      throw new ArgumentError(
        `invalid port range ${JSON.stringify(item)}: ${low} is above ${high}`,
      );
    }
    for (let port = low; port <= high; port++) seen.add(port);
  }
  return [...seen];
}
