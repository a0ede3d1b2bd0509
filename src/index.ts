export * from './address/index.js';
export * from './dial/index.js';
export * from './errors.js';
export * from './packet/index.js';
export * from './proxy/index.js';
export * from './proxy-protocol/index.js';
export * from './relay/index.js';
export * from './server/index.js';
export * from './tls/index.js';
export * from './transports/index.js';
export {
  type Message,
  MessageSocket,
  type ReceiveOptions,
  type SocketAddress,
} from './transports/message-socket.js';
export { ReceiveBuffer } from './tube/receive-buffer.js';
export {
  type Endpoint,
  type RecvOptions,
  type RecvRegexResult,
  type RecvUntilOptions,
  Tube,
  type TubeOptions,
} from './tube/tube.js';
