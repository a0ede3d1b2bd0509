import { ArgumentError, PermissionError } from '../errors.js';
import { requireNative } from '../native/load.js';
import { MessageSocket, systemError } from './message-socket.js';

/** IP protocol numbers by name (IANA), for `protocol`. */
export const IP_PROTOCOLS = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  raw: 255,
} as const;

export interface RawSocketOptions {
  /** 4 (default) or 6. */
  family?: 4 | 6;
  /** The IP protocol: a number or a name from IP_PROTOCOLS. */
  protocol: number | keyof typeof IP_PROTOCOLS;
  /**
   * IPv4 only: packets sent carry their own IP header (IP_HDRINCL; always so for protocol
   * 'raw'). Received IPv4 packets always start with the IP header; IPv6 ones never do.
   */
  headerIncluded?: boolean;
  /** Receive only packets for this local address. */
  bind?: string;
  /** SO_BINDTODEVICE: only this interface (needs CAP_NET_RAW too). */
  device?: string;
  /** Largest packet received whole (default 65,536 bytes). */
  maxMessageSize?: number;
}

const PERMISSION_HINT =
  'raw sockets need root or the CAP_NET_RAW capability (run as root, or grant it: ' +
  'sudo setcap cap_net_raw+ep "$(command -v node)")';

/**
 * A raw IP socket (SOCK_RAW): send and receive whole packets of one IP protocol, e.g. ICMP for
 * ping, or your own IPv4 headers with `headerIncluded`. send(packet, { address, port: 0 }).
 * Needs the native addon and root or CAP_NET_RAW; without them it throws PermissionError.
 */
export async function openRaw(options: RawSocketOptions): Promise<MessageSocket> {
  const addon = requireNative('raw sockets');
  const family = options.family ?? 4;
  const protocol =
    typeof options.protocol === 'number' ? options.protocol : IP_PROTOCOLS[options.protocol];
  if (protocol === undefined || !Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    throw new ArgumentError(
      `invalid raw socket protocol ${JSON.stringify(options.protocol)} (0-255 or ${Object.keys(IP_PROTOCOLS).join(', ')})`,
    );
  }
  if (options.headerIncluded && family !== 4) {
    throw new ArgumentError('headerIncluded (IP_HDRINCL) is for IPv4 raw sockets');
  }
  const c = addon.constants;
  const context = { op: 'bind' as const, network: 'ip' as const };
  let fd: number;
  try {
    fd = addon.socket(family === 6 ? c.AF_INET6 : c.AF_INET, c.SOCK_RAW, protocol);
  } catch (error) {
    const failure = systemError(`raw IPv${family} socket (protocol ${protocol})`, error, context);
    if (failure instanceof PermissionError) {
      throw new PermissionError(`${failure.message}: ${PERMISSION_HINT}`, {
        ...context,
        cause: error,
      });
    }
    throw failure;
  }
  try {
    if (options.headerIncluded) addon.setsockoptInt(fd, c.IPPROTO_IP, c.IP_HDRINCL, 1);
    if (options.device !== undefined) {
      addon.setsockoptBuffer(fd, c.SOL_SOCKET, c.SO_BINDTODEVICE, Buffer.from(options.device));
    }
    if (options.bind !== undefined) addon.bind(fd, { address: options.bind, port: 0 });
  } catch (error) {
    addon.close(fd);
    throw systemError(`raw socket setup`, error, context);
  }
  const name = `raw IPv${family} socket (protocol ${protocol})`;
  return new MessageSocket(addon, fd, {
    network: 'ip',
    describe: () => name,
    ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
  });
}
