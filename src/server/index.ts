export type { DtlsHandler, DtlsServeOptions, DtlsServer } from './dtls.js';
export { readProxyHeader } from './proxy-header.js';
export { serve } from './serve.js';
export type {
  Concurrency,
  ConnectionInfo,
  Handler,
  Overflow,
  ServeOptions,
  Server,
} from './types.js';
export type { Datagram, DatagramHandler, UdpServeOptions, UdpServer } from './udp.js';
