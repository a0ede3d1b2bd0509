/** A decoded PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2). */
export interface ProxyHeader {
  version: 1 | 2;
  /** 'local': the load balancer's own connection (health check); use the real socket addresses. */
  command: 'proxy' | 'local';
  protocol: ProxyTransport;
  /** The original client, for 'proxy' with a known protocol. */
  source?: ProxyAddress;
  /** The address the client connected to. */
  destination?: ProxyAddress;
  /** v2 type-length-value extensions (ALPN, authority, CRC, ...), as received. */
  tlvs: ProxyTlv[];
}

export type ProxyTransport = 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix' | 'unix-dgram' | 'unknown';

export interface ProxyAddress {
  /** IP literal, or a Unix socket path. */
  address: string;
  /** 0 for Unix sockets. */
  port: number;
}

export interface ProxyTlv {
  type: number;
  value: Buffer;
}

/** Result of feeding bytes to a parser: more bytes needed, or a header and its length. */
export type ParseResult =
  | { status: 'incomplete' }
  | { status: 'done'; header: ProxyHeader; consumed: number };

/** v2's 12-byte signature: "\r\n\r\n\0\r\nQUIT\n". */
export const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** v1 headers are at most 107 bytes, CRLF included (the spec's worst case). */
export const V1_MAX_LENGTH = 107;
