import { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from '../address/ip-bytes.js';
import { ProxyProtocolError } from '../errors.js';
import {
  type ParseResult,
  type ProxyHeader,
  type ProxyTlv,
  type ProxyTransport,
  V2_SIGNATURE,
} from './header.js';

/** 12 signature + 1 version/command + 1 family/transport + 2 length. */
const FIXED_LENGTH = 16;
/** Default cap on the variable part: addresses (at most 216 for Unix) plus TLVs. */
export const V2_DEFAULT_MAX_LENGTH = 1024;

const Command = { Local: 0x0, Proxy: 0x1 } as const;

/** The family/transport byte: high nibble address family, low nibble transport. */
const FamilyTransport = {
  Unspec: 0x00,
  Tcp4: 0x11,
  Udp4: 0x12,
  Tcp6: 0x21,
  Udp6: 0x22,
  UnixStream: 0x31,
  UnixDgram: 0x32,
} as const;

/** Address block sizes: 4+4+2+2 for IPv4, 16+16+2+2 for IPv6, 108+108 for Unix. */
const ADDRESS_LENGTH: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

const TRANSPORTS: Record<number, ProxyTransport> = {
  [FamilyTransport.Tcp4]: 'tcp4',
  [FamilyTransport.Udp4]: 'udp4',
  [FamilyTransport.Tcp6]: 'tcp6',
  [FamilyTransport.Udp6]: 'udp6',
  [FamilyTransport.UnixStream]: 'unix',
  [FamilyTransport.UnixDgram]: 'unix-dgram',
};

function unixPath(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? bytes.length : nul).toString('utf8');
}

/** Parse a v2 (binary) header at the start of `input`. Pure; throws ProxyProtocolError. */
export function parseV2(input: Buffer, maxLength = V2_DEFAULT_MAX_LENGTH): ParseResult {
  const signatureLength = Math.min(input.length, V2_SIGNATURE.length);
  if (!input.subarray(0, signatureLength).equals(V2_SIGNATURE.subarray(0, signatureLength))) {
    throw new ProxyProtocolError('not a PROXY protocol v2 header (bad signature)');
  }
  if (input.length < FIXED_LENGTH) return { status: 'incomplete' };
  const versionCommand = input[12]!;
  if (versionCommand >> 4 !== 2) {
    throw new ProxyProtocolError(`PROXY v2 header has version ${versionCommand >> 4}, expected 2`);
  }
  const command = versionCommand & 0x0f;
  if (command !== Command.Local && command !== Command.Proxy) {
    throw new ProxyProtocolError(`PROXY v2 header has unknown command 0x${command.toString(16)}`);
  }
  const familyTransport = input[13]!;
  const length = input.readUInt16BE(14);
  if (length > maxLength) {
    throw new ProxyProtocolError(
      `PROXY v2 header of ${length} bytes exceeds the limit of ${maxLength}`,
    );
  }
  if (input.length < FIXED_LENGTH + length) return { status: 'incomplete' };
  const body = input.subarray(FIXED_LENGTH, FIXED_LENGTH + length);
  const consumed = FIXED_LENGTH + length;
  const protocol = TRANSPORTS[familyTransport];
  if (protocol === undefined && familyTransport !== FamilyTransport.Unspec) {
    throw new ProxyProtocolError(
      `PROXY v2 header has unknown family/transport 0x${familyTransport.toString(16).padStart(2, '0')}`,
    );
  }
  const addressLength = protocol === undefined ? 0 : ADDRESS_LENGTH[familyTransport >> 4]!;
  if (body.length < addressLength) {
    throw new ProxyProtocolError(
      `PROXY v2 header too short for its addresses (${body.length} < ${addressLength})`,
    );
  }
  const header: ProxyHeader = {
    version: 2,
    command: command === Command.Local ? 'local' : 'proxy',
    protocol: protocol ?? 'unknown',
    tlvs: parseTlvs(body.subarray(addressLength)),
  };
  if (protocol !== undefined) {
    const family = familyTransport >> 4;
    if (family === 1) {
      header.source = { address: bytesToIPv4(body.subarray(0, 4)), port: body.readUInt16BE(8) };
      header.destination = {
        address: bytesToIPv4(body.subarray(4, 8)),
        port: body.readUInt16BE(10),
      };
    } else if (family === 2) {
      header.source = { address: bytesToIPv6(body.subarray(0, 16)), port: body.readUInt16BE(32) };
      header.destination = {
        address: bytesToIPv6(body.subarray(16, 32)),
        port: body.readUInt16BE(34),
      };
    } else {
      header.source = { address: unixPath(body.subarray(0, 108)), port: 0 };
      header.destination = { address: unixPath(body.subarray(108, 216)), port: 0 };
    }
  }
  return { status: 'done', consumed, header };
}

function parseTlvs(bytes: Buffer): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    // 1 type + 2 length, then the value.
    if (offset + 3 > bytes.length)
      throw new ProxyProtocolError('PROXY v2 header has a truncated TLV');
    const type = bytes[offset]!;
    const length = bytes.readUInt16BE(offset + 1);
    if (offset + 3 + length > bytes.length)
      throw new ProxyProtocolError('PROXY v2 header has a truncated TLV');
    tlvs.push({ type, value: Buffer.from(bytes.subarray(offset + 3, offset + 3 + length)) });
    offset += 3 + length;
  }
  return tlvs;
}

/** Encode a v2 header (TCP/UDP over IPv4/IPv6, Unix, or LOCAL/UNSPEC), with optional TLVs. */
export function encodeV2(
  header: Omit<ProxyHeader, 'version' | 'tlvs'> & { tlvs?: ProxyTlv[] },
): Buffer {
  const { command, protocol, source, destination } = header;
  let familyTransport: number = FamilyTransport.Unspec;
  let addresses = Buffer.alloc(0);
  if (command === 'proxy' && protocol !== 'unknown' && source && destination) {
    if (protocol === 'tcp4' || protocol === 'udp4') {
      familyTransport = protocol === 'tcp4' ? FamilyTransport.Tcp4 : FamilyTransport.Udp4;
      addresses = Buffer.alloc(12);
      ipv4ToBytes(source.address).copy(addresses, 0);
      ipv4ToBytes(destination.address).copy(addresses, 4);
      addresses.writeUInt16BE(source.port, 8);
      addresses.writeUInt16BE(destination.port, 10);
    } else if (protocol === 'tcp6' || protocol === 'udp6') {
      familyTransport = protocol === 'tcp6' ? FamilyTransport.Tcp6 : FamilyTransport.Udp6;
      addresses = Buffer.alloc(36);
      ipv6ToBytes(source.address).copy(addresses, 0);
      ipv6ToBytes(destination.address).copy(addresses, 16);
      addresses.writeUInt16BE(source.port, 32);
      addresses.writeUInt16BE(destination.port, 34);
    } else {
      familyTransport =
        protocol === 'unix' ? FamilyTransport.UnixStream : FamilyTransport.UnixDgram;
      addresses = Buffer.alloc(216);
      addresses.write(source.address.slice(0, 107), 0, 'utf8');
      addresses.write(destination.address.slice(0, 107), 108, 'utf8');
    }
  }
  const tlvs = (header.tlvs ?? []).map((tlv) => {
    const out = Buffer.alloc(3 + tlv.value.length);
    out[0] = tlv.type;
    out.writeUInt16BE(tlv.value.length, 1);
    tlv.value.copy(out, 3);
    return out;
  });
  const body = Buffer.concat([addresses, ...tlvs]);
  const fixed = Buffer.alloc(FIXED_LENGTH);
  V2_SIGNATURE.copy(fixed, 0);
  fixed[12] = 0x20 | (command === 'local' ? Command.Local : Command.Proxy);
  fixed[13] = familyTransport;
  fixed.writeUInt16BE(body.length, 14);
  return Buffer.concat([fixed, body]);
}
