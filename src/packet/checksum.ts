/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of the data
 * as 16-bit big-endian words (an odd last byte is padded with zero). Used by IPv4 headers, ICMP,
 * UDP and TCP. A buffer that contains its own correct checksum sums to 0.
 */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let index = 0; index < even; index += 2) {
    sum += (data[index]! << 8) | data[index + 1]!;
  }
  if (even !== data.length) sum += data[even]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
