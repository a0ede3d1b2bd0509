export {
  DEFAULT_FIRST_BYTE_TIMEOUT,
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
  type GateDrop,
  HandshakeGate,
  type HandshakeGateOptions,
  type HandshakeTicket,
} from './handshake-gate.js';
export { IP_PROTOCOLS, openRaw, type RawSocketOptions } from './raw.js';
export {
  connectSeqpacket,
  listenSeqpacket,
  SeqpacketListener,
  type SeqpacketOptions,
} from './seqpacket.js';
export {
  applyDatagramOptions,
  applyListenerOptions,
  applySocketOptions,
  type DatagramSocketOptions,
  type SocketOptions,
} from './socket-options.js';
export { parseTarget, type Target, type TargetInput } from './target.js';
export {
  type AcceptOptions,
  Listener,
  type ListenerTls,
  type ListenOptions,
  listen,
} from './tcp-listen.js';
export {
  listenUdp,
  MAX_UDP_PAYLOAD,
  type UdpAcceptOptions,
  UdpConnection,
  type UdpConnectOptions,
  UdpListener,
  type UdpListenOptions,
  type UdpRecvOptions,
} from './udp.js';
export {
  openUnixDatagram,
  type UnixDatagramOptions,
  UnixDatagramSocket,
} from './unix-datagram.js';
export {
  listenWebSocket,
  WebSocketListener,
  type WebSocketListenOptions,
} from './websocket-listen.js';
export type { WebSocketClose } from './websocket-stream.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT,
  type WebSocketMessage,
  type WebSocketOptions,
  WebSocketTube,
} from './websocket-tube.js';
export { parseWebSocketUrl, type WebSocketUrl } from './websocket-url.js';
