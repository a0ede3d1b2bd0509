export { parseTarget, type Target, type TargetInput } from './target.js';
export { type ConnectOptions, connect } from './tcp-connect.js';
export { type AcceptOptions, Listener, type ListenOptions, listen } from './tcp-listen.js';
export {
  connectUdp,
  listenUdp,
  MAX_UDP_PAYLOAD,
  type UdpAcceptOptions,
  UdpConnection,
  type UdpConnectOptions,
  UdpListener,
  type UdpListenOptions,
  type UdpRecvOptions,
} from './udp.js';
