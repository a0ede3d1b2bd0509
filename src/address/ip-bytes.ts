import { isIPv4, isIPv6 } from './ip.js';

/** The 4 bytes of an IPv4 literal (validated by the caller or here). */
export function ipv4ToBytes(text: string): Buffer {
  if (!isIPv4(text)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return Buffer.from(text.split('.').map(Number));
}

export function bytesToIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** The 16 bytes of an IPv6 literal (zone ids are dropped). */
export function ipv6ToBytes(text: string): Buffer {
  if (!isIPv6(text)) throw new TypeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  let address = text.split('%')[0]!;
  const out = Buffer.alloc(16);
  let tail: Buffer = Buffer.alloc(0);
  const lastColon = address.lastIndexOf(':');
  if (address.includes('.', lastColon)) {
    tail = ipv4ToBytes(address.slice(lastColon + 1));
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array(8 - headGroups.length - restGroups.length).fill('0'),
          ...restGroups,
        ];
  for (const [i, group] of groups.entries()) out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  if (tail.length === 4) tail.copy(out, 12);
  return out;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as "::". */
export function bytesToIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
