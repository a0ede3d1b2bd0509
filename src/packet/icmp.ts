import { internetChecksum } from './checksum.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

export interface IcmpEcho {
  /** 8 (request) or 0 (reply) for ICMP; 128 / 129 for ICMPv6. */
  type: number;
  code: number;
  identifier: number;
  sequence: number;
  payload: Buffer;
}

/**
 * An ICMP echo request or reply: type, code, checksum, identifier, sequence, payload (RFC 792).
 * The checksum is computed for ICMP (IPv4); for ICMPv6 the kernel fills it in (it covers a
 * pseudo-header only the kernel knows), so it is left 0.
 */
export function encodeIcmpEcho(echo: IcmpEcho): Buffer {
  const packet = Buffer.alloc(8 + echo.payload.length);
  packet[0] = echo.type;
  packet[1] = echo.code;
  packet.writeUInt16BE(echo.identifier & 0xffff, 4);
  packet.writeUInt16BE(echo.sequence & 0xffff, 6);
  echo.payload.copy(packet, 8);
  if (echo.type === ICMP_ECHO_REQUEST || echo.type === ICMP_ECHO_REPLY) {
    packet.writeUInt16BE(internetChecksum(packet), 2);
  }
  return packet;
}

/**
 * Parse an ICMP echo message (without IP header); undefined when it is not an echo or is too
 * short. `checksumOk` is checked for ICMP (IPv4) only.
 */
export function decodeIcmpEcho(packet: Buffer): (IcmpEcho & { checksumOk: boolean }) | undefined {
  if (packet.length < 8) return undefined;
  const type = packet[0]!;
  const isEcho =
    type === ICMP_ECHO_REQUEST ||
    type === ICMP_ECHO_REPLY ||
    type === ICMPV6_ECHO_REQUEST ||
    type === ICMPV6_ECHO_REPLY;
  if (!isEcho) return undefined;
  const v4 = type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY;
  return {
    type,
    code: packet[1]!,
    identifier: packet.readUInt16BE(4),
    sequence: packet.readUInt16BE(6),
    payload: packet.subarray(8),
    checksumOk: v4 ? internetChecksum(packet) === 0 : true,
  };
}
