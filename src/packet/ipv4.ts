import { bytesToIPv4, ipv4ToBytes } from '../address/ip-bytes.js';
import { internetChecksum } from './checksum.js';

/** An IPv4 header (RFC 791), without options. */
export interface Ipv4Header {
  /** Type of service / DSCP+ECN byte. */
  tos: number;
  /** Header plus payload, in bytes. */
  totalLength: number;
  identification: number;
  /** Flags (3 bits) and fragment offset (13 bits) as one 16-bit field; 0x4000 is Don't Fragment. */
  flagsAndOffset: number;
  ttl: number;
  protocol: number;
  source: string;
  destination: string;
  /** Header length in bytes (20 without options). */
  headerLength: number;
  checksumOk: boolean;
}

export interface Ipv4HeaderFields {
  source: string;
  destination: string;
  protocol: number;
  payloadLength: number;
  ttl?: number;
  tos?: number;
  identification?: number;
  dontFragment?: boolean;
}

/** A 20-byte IPv4 header with its checksum, for raw sockets with IP_HDRINCL. */
export function encodeIpv4Header(fields: Ipv4HeaderFields): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45; // version 4, 5 words
  header[1] = fields.tos ?? 0;
  header.writeUInt16BE(20 + fields.payloadLength, 2);
  header.writeUInt16BE((fields.identification ?? 0) & 0xffff, 4);
  header.writeUInt16BE(fields.dontFragment ? 0x4000 : 0, 6);
  header[8] = fields.ttl ?? 64;
  header[9] = fields.protocol;
  ipv4ToBytes(fields.source).copy(header, 12);
  ipv4ToBytes(fields.destination).copy(header, 16);
  header.writeUInt16BE(internetChecksum(header), 10);
  return header;
}

/** Parse the IPv4 header at the start of `packet`; undefined when it is not one. */
export function decodeIpv4Header(packet: Buffer): Ipv4Header | undefined {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return undefined;
  const headerLength = (packet[0]! & 0x0f) * 4;
  if (headerLength < 20 || packet.length < headerLength) return undefined;
  return {
    tos: packet[1]!,
    totalLength: packet.readUInt16BE(2),
    identification: packet.readUInt16BE(4),
    flagsAndOffset: packet.readUInt16BE(6),
    ttl: packet[8]!,
    protocol: packet[9]!,
    source: bytesToIPv4(packet.subarray(12, 16)),
    destination: bytesToIPv4(packet.subarray(16, 20)),
    headerLength,
    checksumOk: internetChecksum(packet.subarray(0, headerLength)) === 0,
  };
}
