import { ipv4ToBytes } from '../address/ip-bytes.js';
import { internetChecksum } from './checksum.js';

export interface UdpFields {
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
  /** For the checksum over the IPv4 pseudo-header; without them the checksum is 0 (none). */
  source?: string;
  destination?: string;
}

/** A UDP datagram (header and payload, RFC 768), with its IPv4 checksum when addresses are given. */
export function encodeUdpDatagram(fields: UdpFields): Buffer {
  const length = 8 + fields.payload.length;
  const datagram = Buffer.alloc(length);
  datagram.writeUInt16BE(fields.sourcePort, 0);
  datagram.writeUInt16BE(fields.destinationPort, 2);
  datagram.writeUInt16BE(length, 4);
  datagram.set(fields.payload, 8);
  if (fields.source !== undefined && fields.destination !== undefined) {
    const pseudo = Buffer.alloc(12);
    ipv4ToBytes(fields.source).copy(pseudo, 0);
    ipv4ToBytes(fields.destination).copy(pseudo, 4);
    pseudo[9] = 17;
    pseudo.writeUInt16BE(length, 10);
    const sum = internetChecksum(Buffer.concat([pseudo, datagram]));
    // A computed 0 is sent as 0xffff: 0 means "no checksum".
    datagram.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  }
  return datagram;
}
