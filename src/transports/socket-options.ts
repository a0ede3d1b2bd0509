import type { Socket as DatagramSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import { ArgumentError } from '../errors.js';
import { type NativeAddon, requireNative } from '../native/load.js';
import { systemError } from './message-socket.js';

/**
 * Socket options users set on TCP and UDP sockets. What Node has an API for goes through it;
 * the rest (TTL, TOS, keepalive interval and count, buffer sizes on TCP, binding to a device)
 * needs the native addon, and fails with UnsupportedError without it. Durations are in ms.
 */
export interface SocketOptions {
  /** TCP keepalive: true, or the idle time before the first probe, the interval between probes and how many go unanswered before the connection is dropped. */
  keepAlive?: boolean | { idle?: number; interval?: number; count?: number };
  /** TCP_NODELAY (disable Nagle's algorithm). */
  noDelay?: boolean;
  /** IP_TTL / IPV6_UNICAST_HOPS: hops a packet may take (1-255). */
  ttl?: number;
  /** IP_TOS / IPV6_TCLASS: the type-of-service byte (0-255), e.g. 0x10 low delay, 0xb8 EF. */
  tos?: number;
  /** SO_SNDBUF, in bytes (the kernel doubles it for bookkeeping). */
  sendBufferSize?: number;
  /** SO_RCVBUF, in bytes. */
  receiveBufferSize?: number;
  /** SO_BINDTODEVICE: use only this network interface (needs CAP_NET_RAW). */
  bindToDevice?: string;
}

/** Options of UDP sockets on top of SocketOptions. */
export interface DatagramSocketOptions extends SocketOptions {
  /** SO_BROADCAST: allow sending to broadcast addresses. */
  broadcast?: boolean;
  multicast?: {
    /** Groups to join (e.g. '239.1.2.3'), on `interface` when given. */
    join?: string[];
    /** IP_MULTICAST_TTL (default 1: the local network only). */
    ttl?: number;
    /** IP_MULTICAST_LOOP: receive our own multicast (default true). */
    loopback?: boolean;
    /** The local address of the interface to use for multicast. */
    interface?: string;
  };
}

/** Where the byte goes: IPv4 and IPv6 name TTL and TOS differently. */
function ipLevel(addon: NativeAddon, family: 4 | 6) {
  const c = addon.constants;
  return family === 6
    ? { level: c.IPPROTO_IPV6, ttl: c.IPV6_UNICAST_HOPS, tos: c.IPV6_TCLASS }
    : { level: c.IPPROTO_IP, ttl: c.IP_TTL, tos: c.IP_TOS };
}

function byteOption(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > 255)) {
    throw new ArgumentError(`socket option ${name} must be a whole number from ${min} to 255`);
  }
}

function sizeOption(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)) {
    throw new ArgumentError(`socket option ${name} must be a positive whole number of bytes`);
  }
}

/** Check option values before any socket exists: a bad value is an ArgumentError. */
export function validateSocketOptions(options: DatagramSocketOptions): void {
  byteOption('ttl', options.ttl, 1);
  byteOption('tos', options.tos, 0);
  sizeOption('sendBufferSize', options.sendBufferSize);
  sizeOption('receiveBufferSize', options.receiveBufferSize);
  byteOption('multicast.ttl', options.multicast?.ttl, 0);
  const keepAlive = options.keepAlive;
  if (typeof keepAlive === 'object') {
    for (const [name, value] of Object.entries(keepAlive)) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new ArgumentError(`socket option keepAlive.${name} must be positive`);
      }
    }
  }
}

/**
 * Throw UnsupportedError now when some option needs the native addon and it is missing, so that
 * a command line fails before it connects or listens.
 */
export function requireSocketOptionSupport(options: DatagramSocketOptions): void {
  if (needsNative(options, true))
    requireNative('socket options (TTL, TOS, keepalive probes, buffer sizes, device)');
}

/** Whether any option needs the native addon (so that plain sockets never load it). */
function needsNative(options: SocketOptions, tcp: boolean): boolean {
  return (
    options.ttl !== undefined ||
    options.tos !== undefined ||
    options.bindToDevice !== undefined ||
    (tcp && (options.sendBufferSize !== undefined || options.receiveBufferSize !== undefined)) ||
    (typeof options.keepAlive === 'object' &&
      (options.keepAlive.interval !== undefined || options.keepAlive.count !== undefined))
  );
}

function setInt(
  addon: NativeAddon,
  fd: number,
  level: number,
  name: number,
  value: number,
  what: string,
) {
  try {
    addon.setsockoptInt(fd, level, name, value);
  } catch (error) {
    throw systemError(`setting ${what}`, error, { op: 'setsockopt' });
  }
}

function setCommon(addon: NativeAddon, fd: number, family: 4 | 6, options: SocketOptions) {
  const ip = ipLevel(addon, family);
  if (options.ttl !== undefined) setInt(addon, fd, ip.level, ip.ttl, options.ttl, 'TTL');
  if (options.tos !== undefined) setInt(addon, fd, ip.level, ip.tos, options.tos, 'TOS');
  if (options.bindToDevice !== undefined) {
    try {
      addon.setsockoptBuffer(
        fd,
        addon.constants.SOL_SOCKET,
        addon.constants.SO_BINDTODEVICE,
        Buffer.from(options.bindToDevice),
      );
    } catch (error) {
      throw systemError(`binding to device ${options.bindToDevice}`, error, { op: 'setsockopt' });
    }
  }
}

/** The fd of a connected net.Socket (Linux: the libuv handle's). */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new ArgumentError('socket options need a connected socket with a file descriptor');
  }
  return fd;
}

/**
 * A TCP socket of `family`, not yet connected, with the options that reach the SYN set on it
 * (TTL, TOS, buffer sizes, device), for `new Socket({ fd })` and connect(); undefined when
 * none is asked for. Node opens its sockets inside connect(), too late for the SYN (nc sets -M
 * and -T before connecting).
 */
export function tcpDescriptorFor(family: 4 | 6, options: SocketOptions): number | undefined {
  const early =
    options.ttl !== undefined ||
    options.tos !== undefined ||
    options.bindToDevice !== undefined ||
    options.sendBufferSize !== undefined ||
    options.receiveBufferSize !== undefined;
  if (!early) return undefined;
  validateSocketOptions(options);
  const addon = requireNative(
    'socket options (TTL, TOS, keepalive interval/count, buffer sizes, device)',
  );
  const { AF_INET, AF_INET6, SOCK_STREAM } = addon.constants;
  let fd: number;
  try {
    fd = addon.socket(family === 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  } catch (error) {
    throw systemError('opening a TCP socket', error, { op: 'connect' });
  }
  try {
    setBuffers(addon, fd, options);
    setCommon(addon, fd, family, options);
  } catch (error) {
    addon.close(fd);
    throw error;
  }
  return fd;
}

/** Apply options to a connected TCP socket. */
export function applySocketOptions(socket: Socket, options: SocketOptions): void {
  validateSocketOptions(options);
  if (options.noDelay !== undefined) socket.setNoDelay(options.noDelay);
  const keepAlive = options.keepAlive;
  if (keepAlive === true || keepAlive === false) socket.setKeepAlive(keepAlive);
  else if (keepAlive) socket.setKeepAlive(true, keepAlive.idle ?? 0);
  if (!needsNative(options, true)) return;
  const addon = requireNative(
    'socket options (TTL, TOS, keepalive interval/count, buffer sizes, device)',
  );
  const fd = socketFd(socket);
  const family = socket.remoteFamily === 'IPv6' || socket.localFamily === 'IPv6' ? 6 : 4;
  if (typeof keepAlive === 'object') {
    // The idle time went through setKeepAlive(); interval and count have no Node API.
    const { idle: _, ...probes } = keepAlive;
    setKeepAliveProbes(addon, fd, probes);
  }
  setBuffers(addon, fd, options);
  setCommon(addon, fd, family, options);
}

/**
 * Apply options to a listening TCP server; the sockets it accepts inherit them (Linux). Every
 * option but noDelay (which Node sets on each accepted socket) goes through the addon.
 */
export function applyListenerOptions(server: Server, options: SocketOptions): void {
  validateSocketOptions(options);
  const { noDelay: _, ...rest } = options;
  if (Object.values(rest).every((value) => value === undefined)) return;
  const addon = requireNative('socket options on a listening socket');
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new ArgumentError('socket options need a listening socket with a file descriptor');
  }
  const address = server.address();
  const family = typeof address === 'object' && address?.family === 'IPv6' ? 6 : 4;
  const c = addon.constants;
  const keepAlive = options.keepAlive;
  if (keepAlive !== undefined) {
    setInt(addon, fd, c.SOL_SOCKET, c.SO_KEEPALIVE, keepAlive === false ? 0 : 1, 'keepalive');
    if (typeof keepAlive === 'object') setKeepAliveProbes(addon, fd, keepAlive);
  }
  setBuffers(addon, fd, options);
  setCommon(addon, fd, family, options);
}

function setKeepAliveProbes(
  addon: NativeAddon,
  fd: number,
  keepAlive: { idle?: number; interval?: number; count?: number },
): void {
  const c = addon.constants;
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  if (keepAlive.idle !== undefined) {
    setInt(
      addon,
      fd,
      c.IPPROTO_TCP,
      c.TCP_KEEPIDLE,
      seconds(keepAlive.idle),
      'keepalive idle time',
    );
  }
  if (keepAlive.interval !== undefined) {
    setInt(
      addon,
      fd,
      c.IPPROTO_TCP,
      c.TCP_KEEPINTVL,
      seconds(keepAlive.interval),
      'keepalive interval',
    );
  }
  if (keepAlive.count !== undefined) {
    setInt(addon, fd, c.IPPROTO_TCP, c.TCP_KEEPCNT, keepAlive.count, 'keepalive count');
  }
}

function setBuffers(addon: NativeAddon, fd: number, options: SocketOptions): void {
  const c = addon.constants;
  if (options.sendBufferSize !== undefined) {
    setInt(addon, fd, c.SOL_SOCKET, c.SO_SNDBUF, options.sendBufferSize, 'send buffer size');
  }
  if (options.receiveBufferSize !== undefined) {
    setInt(addon, fd, c.SOL_SOCKET, c.SO_RCVBUF, options.receiveBufferSize, 'receive buffer size');
  }
}

/** The fd of a bound dgram socket, without touching its deprecated `_handle` getter. */
function datagramFd(socket: DatagramSocket): number {
  const state = Object.getOwnPropertySymbols(socket)
    .filter((symbol) => symbol.description === 'state symbol')
    .map(
      (symbol) => (socket as unknown as Record<symbol, { handle?: { fd?: number } }>)[symbol],
    )[0];
  const fd = state?.handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new ArgumentError('socket options need a bound UDP socket');
  }
  return fd;
}

/** Apply options to a bound UDP socket (Node's own API where it has one). */
export function applyDatagramOptions(socket: DatagramSocket, options: DatagramSocketOptions): void {
  validateSocketOptions(options);
  if (options.broadcast !== undefined) socket.setBroadcast(options.broadcast);
  if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
  if (options.receiveBufferSize !== undefined) socket.setRecvBufferSize(options.receiveBufferSize);
  const multicast = options.multicast;
  if (multicast) {
    if (multicast.interface !== undefined) socket.setMulticastInterface(multicast.interface);
    if (multicast.ttl !== undefined) socket.setMulticastTTL(multicast.ttl);
    if (multicast.loopback !== undefined) socket.setMulticastLoopback(multicast.loopback);
    for (const group of multicast.join ?? []) {
      try {
        socket.addMembership(group, multicast.interface);
      } catch (error) {
        throw systemError(`joining multicast group ${group}`, error, {
          op: 'setsockopt',
          network: 'udp',
        });
      }
    }
  }
  // Node's setTTL works without the addon; TOS and devices need it.
  const { ttl, ...rest } = options;
  if (ttl !== undefined && options.tos === undefined && options.bindToDevice === undefined) {
    socket.setTTL(ttl);
    return;
  }
  if (!needsNative({ ...rest, ...(ttl !== undefined ? { ttl } : {}) }, false)) return;
  const addon = requireNative('socket options (TOS, device)');
  const family = socket.address().family === 'IPv6' ? 6 : 4;
  setCommon(addon, datagramFd(socket), family, options);
}
