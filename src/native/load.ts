import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.js';

/** A socket address as the addon takes and returns it. */
export type NativeAddress =
  | { path: string }
  | { address: string; port: number; family?: 4 | 6 }
  | { family: number };

/** One message from recv(): a zero-length `data` on a seqpacket socket is the end of stream. */
export interface NativeMessage {
  data: Buffer;
  address?: NativeAddress;
  /** The message was longer than the size asked for; the kernel dropped the rest. */
  truncated: boolean;
}

/** Readiness of a file descriptor from the event loop (native/src/poller.c). */
export interface NativePoller {
  /** Wait for these events; (false, false) stops. While started it keeps the loop alive. */
  start(readable: boolean, writable: boolean): void;
  stop(): void;
  ref(): void;
  unref(): void;
  /** Before the fd is closed. */
  close(): void;
}

/** A DTLS context or session inside the addon (native/src/dtls.c). */
export type NativeDtlsHandle = { readonly __brand: 'dtls' };

/** What every DTLS operation returns. */
export interface NativeDtlsResult {
  /** Datagrams to send to the peer, in order. */
  out: Buffer[];
  /** Application datagrams received. */
  data: Buffer[];
  /** 0 handshaking, 1 open, 2 the peer sent close_notify, 3 failed. */
  state: 0 | 1 | 2 | 3;
  /** When the retransmission timer wants dtlsTimeout(), in ms; -1 when none runs. */
  timeoutMs: number;
  /** X509 verify result of the peer's certificate (0: ok). */
  verifyCode: number;
  /** OpenSSL's reason, when state is 3. */
  error?: string;
  /** dtlsListen: the ClientHello carried a valid cookie. */
  accepted?: 0 | 1;
}

export interface NativeDtlsInfo {
  protocol: string;
  cipher: string;
  alpn?: string;
  /** The peer's certificate (DER). */
  certificate?: Buffer;
  verifyCode: number;
  verifyError: string;
  servername?: string;
  /** Largest plaintext one record (one datagram) carries. */
  maxData: number;
}

/** What the optional addon in native/ exports. */
export interface NativeAddon {
  /** Non-blocking, close-on-exec socket(2); returns the fd. */
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: NativeAddress): void;
  /** True when connected at once, false when in progress (wait until writable). */
  connect(fd: number, address: NativeAddress): boolean;
  listen(fd: number, backlog: number): void;
  /** A waiting connection, or null. */
  accept(fd: number): { fd: number; address: NativeAddress } | null;
  /** Bytes sent, or -1 when the socket buffer is full. */
  send(fd: number, data: Buffer, address?: NativeAddress | null): number;
  /** A message, or null when none is waiting. */
  recv(fd: number, maxSize: number): NativeMessage | null;
  /**
   * The messages waiting (up to maxCount, one recvmmsg) back to back in one Buffer with their
   * lengths, or null when none; `truncated` lists messages cut at maxSize.
   */
  recvMany(
    fd: number,
    maxSize: number,
    maxCount: number,
    withSenders?: boolean,
  ): {
    data: Buffer;
    lengths: Uint32Array;
    /** With `withSenders`: each message's sender (undefined: unbound). */
    senders?: (NativeAddress | undefined)[];
    truncated?: number[];
  } | null;
  shutdown(fd: number, how: 0 | 1 | 2): void;
  close(fd: number): void;
  getsockname(fd: number): NativeAddress;
  getpeername(fd: number): NativeAddress | null;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  getsockoptInt(fd: number, level: number, name: number): number;
  setsockoptBuffer(fd: number, level: number, name: number, value: Buffer): void;
  readonly constants: Readonly<Record<NativeConstant, number>>;
  Poller: new (
    fd: number,
    callback: (status: number, readable: boolean, writable: boolean) => void,
  ) => NativePoller;
  dtlsContext(options: {
    server: boolean;
    cert?: Buffer;
    key?: Buffer;
    ca?: Buffer;
    verifyPeer?: boolean;
    ciphers?: string;
    minVersion?: number;
    alpn?: Buffer;
  }): NativeDtlsHandle;
  dtlsSession(
    context: NativeDtlsHandle,
    options: {
      mtu: number;
      servername?: string;
      verifyHost?: string;
      verifyIp?: string;
      listener?: boolean;
    },
  ): NativeDtlsHandle;
  dtlsReceive(session: NativeDtlsHandle, datagram: Buffer | null): NativeDtlsResult;
  dtlsListen(session: NativeDtlsHandle, datagram: Buffer, peerKey: string): NativeDtlsResult;
  dtlsWrite(session: NativeDtlsHandle, data: Uint8Array): NativeDtlsResult;
  dtlsShutdown(session: NativeDtlsHandle): NativeDtlsResult;
  dtlsTimeout(session: NativeDtlsHandle): NativeDtlsResult;
  dtlsInfo(session: NativeDtlsHandle): NativeDtlsInfo;
  /** The OpenSSL build in use (Node's own), e.g. "OpenSSL 3.0.19 27 Jan 2026". */
  dtlsVersion(): string;
  /** A listening TCP socket with SO_REUSEADDR and SO_REUSEPORT set; returns its fd. */
  listenReusePort(
    family: 4 | 6,
    address: string,
    port: number,
    backlog: number,
    ipv6Only: boolean,
  ): number;
}

export type NativeConstant =
  | 'AF_UNIX'
  | 'AF_INET'
  | 'AF_INET6'
  | 'SOCK_STREAM'
  | 'SOCK_DGRAM'
  | 'SOCK_SEQPACKET'
  | 'SOCK_RAW'
  | 'SOL_SOCKET'
  | 'IPPROTO_IP'
  | 'IPPROTO_IPV6'
  | 'IPPROTO_TCP'
  | 'IPPROTO_UDP'
  | 'IPPROTO_ICMP'
  | 'IPPROTO_ICMPV6'
  | 'IPPROTO_RAW'
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'SO_KEEPALIVE'
  | 'SO_SNDBUF'
  | 'SO_RCVBUF'
  | 'SO_BROADCAST'
  | 'SO_BINDTODEVICE'
  | 'SO_ERROR'
  | 'SO_TYPE'
  | 'TCP_NODELAY'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'IP_TTL'
  | 'IP_TOS'
  | 'IP_HDRINCL'
  | 'IPV6_UNICAST_HOPS'
  | 'IPV6_TCLASS'
  | 'IP_MULTICAST_TTL'
  | 'IP_MULTICAST_LOOP';

let cached: NativeAddon | null | undefined;
let loadError: unknown;

/**
 * The addon, or undefined when it is not built, cannot load, or SOCKCAT_NO_NATIVE=1 disables it.
 * Loaded on first use only: the CLI's start-up never pays for it.
 */
export function loadNative(): NativeAddon | undefined {
  if (cached !== undefined) return cached ?? undefined;
  if (process.env['SOCKCAT_NO_NATIVE'] === '1') {
    cached = null;
    loadError = new Error('disabled by SOCKCAT_NO_NATIVE=1');
    return undefined;
  }
  try {
    // From dist/src/native/ to native/build/Release/.
    const require = createRequire(import.meta.url);
    cached = require('../../../native/build/Release/sockcat_native.node') as NativeAddon;
  } catch (error) {
    cached = null;
    loadError = error;
  }
  return cached ?? undefined;
}

/** The addon, or an UnsupportedError naming the feature and how to get the addon. */
export function requireNative(feature: string): NativeAddon {
  const addon = loadNative();
  if (addon) return addon;
  const why = loadError instanceof Error ? loadError.message.split('\n')[0] : String(loadError);
  throw new UnsupportedError(
    `${feature} is not available: build the native addon (needs g++ and make; run \`npm rebuild sockcat\`) — ${why}`,
  );
}
