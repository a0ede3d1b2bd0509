/**
 * SOCKS5 server-side wire format (RFC 1928, RFC 1929 for username/password), as pure functions
 * over bytes. Each parser returns undefined while the message is incomplete, the message and the
 * bytes it took once complete, or throws Socks5ParseError. Every message is bounded by the
 * protocol itself: at most 2 + 255 bytes (greeting), 3 + 255 + 255 (credentials),
 * 4 + 1 + 255 + 2 (request).
 */

import { ipFamily } from '../address/ip.js';
import { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from '../address/ip-bytes.js';

export const SOCKS5_VERSION = 0x05;
/** RFC 1929's subnegotiation version. */
export const USERPASS_VERSION = 0x01;

export const Socks5Method = {
  NoAuth: 0x00,
  UserPass: 0x02,
  NoAcceptable: 0xff,
} as const;

export const Socks5Command = {
  Connect: 0x01,
  Bind: 0x02,
  UdpAssociate: 0x03,
} as const;

export const Socks5AddressType = {
  IPv4: 0x01,
  DomainName: 0x03,
  IPv6: 0x04,
} as const;

export const Socks5Reply = {
  Succeeded: 0x00,
  GeneralFailure: 0x01,
  NotAllowed: 0x02,
  NetworkUnreachable: 0x03,
  HostUnreachable: 0x04,
  ConnectionRefused: 0x05,
  TtlExpired: 0x06,
  CommandNotSupported: 0x07,
  AddressTypeNotSupported: 0x08,
} as const;
export type Socks5ReplyCode = (typeof Socks5Reply)[keyof typeof Socks5Reply];

export class Socks5ParseError extends Error {
  /** The reply to send before closing, when the protocol has one for this failure. */
  readonly reply: Socks5ReplyCode | undefined;
  constructor(message: string, reply?: Socks5ReplyCode) {
    super(message);
    this.reply = reply;
  }
  override get name(): string {
    return 'Socks5ParseError';
  }
}

export interface Parsed<T> {
  value: T;
  /** Bytes the message took. */
  length: number;
}

/** VER NMETHODS METHODS... */
export function parseGreeting(bytes: Uint8Array): Parsed<number[]> | undefined {
  if (bytes.length < 1) return undefined;
  if (bytes[0] !== SOCKS5_VERSION) {
    throw new Socks5ParseError(`not SOCKS5: version byte 0x${hex(bytes[0]!)}`);
  }
  if (bytes.length < 2) return undefined;
  const count = bytes[1]!;
  if (count === 0) throw new Socks5ParseError('SOCKS5 greeting offers no methods');
  const length = 2 + count;
  if (bytes.length < length) return undefined;
  return { value: [...bytes.subarray(2, length)], length };
}

export interface Credentials {
  username: string;
  password: string;
}

/** VER ULEN UNAME PLEN PASSWD (RFC 1929). */
export function parseCredentials(bytes: Uint8Array): Parsed<Credentials> | undefined {
  if (bytes.length < 1) return undefined;
  if (bytes[0] !== USERPASS_VERSION) {
    throw new Socks5ParseError(`bad username/password version 0x${hex(bytes[0]!)}`);
  }
  if (bytes.length < 2) return undefined;
  const userLength = bytes[1]!;
  if (bytes.length < 3 + userLength) return undefined;
  const passLength = bytes[2 + userLength]!;
  const length = 3 + userLength + passLength;
  if (bytes.length < length) return undefined;
  const text = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('utf8');
  return {
    value: { username: text(2, 2 + userLength), password: text(3 + userLength, length) },
    length,
  };
}

export interface Socks5Request {
  command: number;
  addressType: number;
  /** IP literal or domain name. */
  host: string;
  port: number;
}

/** VER CMD RSV ATYP DST.ADDR DST.PORT. */
export function parseRequest(bytes: Uint8Array): Parsed<Socks5Request> | undefined {
  if (bytes.length < 1) return undefined;
  if (bytes[0] !== SOCKS5_VERSION) {
    throw new Socks5ParseError(`bad SOCKS5 request version 0x${hex(bytes[0]!)}`);
  }
  if (bytes.length < 4) return undefined;
  const command = bytes[1]!;
  const addressType = bytes[3]!;
  let hostStart = 4;
  let hostLength: number;
  switch (addressType) {
    case Socks5AddressType.IPv4:
      hostLength = 4;
      break;
    case Socks5AddressType.IPv6:
      hostLength = 16;
      break;
    case Socks5AddressType.DomainName:
      if (bytes.length < 5) return undefined;
      hostLength = bytes[4]!;
      hostStart = 5;
      if (hostLength === 0) {
        throw new Socks5ParseError('empty domain name', Socks5Reply.HostUnreachable);
      }
      break;
    default:
      throw new Socks5ParseError(
        `unknown address type 0x${hex(addressType)}`,
        Socks5Reply.AddressTypeNotSupported,
      );
  }
  const length = hostStart + hostLength + 2;
  if (bytes.length < length) return undefined;
  const raw = bytes.subarray(hostStart, hostStart + hostLength);
  let host: string;
  if (addressType === Socks5AddressType.IPv4) host = bytesToIPv4(raw);
  else if (addressType === Socks5AddressType.IPv6) host = bytesToIPv6(raw);
  else {
    host = Buffer.from(raw).toString('latin1');
    if (!/^[A-Za-z0-9._-]+$/.test(host)) {
      throw new Socks5ParseError(
        `bad domain name ${JSON.stringify(host)}`,
        Socks5Reply.HostUnreachable,
      );
    }
  }
  const port = (bytes[length - 2]! << 8) | bytes[length - 1]!;
  return { value: { command, addressType, host, port }, length };
}

/** VER REP RSV ATYP BND.ADDR BND.PORT; the bound address is 0.0.0.0:0 unless given. */
export function encodeReply(
  reply: Socks5ReplyCode,
  bound?: { address: string; port: number },
): Buffer {
  const family = bound ? ipFamily(bound.address) : 4;
  const address =
    bound && family === 6
      ? ipv6ToBytes(bound.address)
      : bound && family === 4
        ? ipv4ToBytes(bound.address)
        : Buffer.alloc(4);
  const port = bound && family !== 0 ? bound.port : 0;
  const type = address.length === 16 ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
  // 4 header + 4 or 16 address + 2 port
  return Buffer.concat([
    Buffer.from([SOCKS5_VERSION, reply, 0x00, type]),
    address,
    Buffer.from([port >> 8, port & 0xff]),
  ]);
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
