import { networkInterfaces } from 'node:os';
import type { Endpoint } from '../address/endpoint.js';
import { isIPv4, isIPv6 } from '../address/ip.js';
import { ipv6ToBytes } from '../address/ip-bytes.js';

/**
 * Whether a proxy destination is the proxy itself: the port it accepted this client on, at an
 * address of this machine (loopback, the unspecified address, the address the client reached, or
 * any interface's). A client that asks a proxy to connect to itself, again and again inside its
 * own tunnel, would otherwise use up every connection slot (a request loop).
 */
export function isOwnAddress(address: string, port: number, local: Endpoint): boolean {
  if (port !== local.port || local.port === 0) return false;
  const key = addressKey(address);
  if (key === undefined) return false;
  if (key.startsWith('4:127.') || key === '4:0.0.0.0' || key === '6:::1' || key === '6:::') {
    return true;
  }
  if (key === addressKey(local.address)) return true;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const own of addresses ?? []) {
      if (addressKey(own.address) === key) return true;
    }
  }
  return false;
}

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 in a canonical short form. */
function addressKey(address: string): string | undefined {
  if (isIPv4(address)) return `4:${address}`;
  if (!isIPv6(address)) return undefined;
  const bytes = ipv6ToBytes(address);
  const mapped = bytes.subarray(0, 12).equals(MAPPED_PREFIX);
  if (mapped) return `4:${bytes.subarray(12).join('.')}`;
  const hex = bytes.toString('hex');
  if (hex === '0'.repeat(31) + '1') return '6:::1';
  if (hex === '0'.repeat(32)) return '6:::';
  return `6:${hex}`;
}

// ::ffff:0:0/96
const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
