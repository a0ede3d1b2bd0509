export * from './address/index.js';
export * from './dial/index.js';
export * from './errors.js';
export * from './packet/index.js';
export * from './proxy/index.js';
export * from './proxy-protocol/index.js';
export * from './relay/index.js';
export * from './server/index.js';
export * from './ssh/index.js';
export * from './tls/index.js';
export * from './transports/index.js';
export {
  type Message,
  MessageSocket,
  type ReceiveOptions,
  type SocketAddress,
} from './transports/message-socket.js';
export type { ChildExit, PtySize } from './tube/child-stream.js';
export { type CyclicFindOptions, type CyclicOptions, cyclic, cyclicFind } from './tube/cyclic.js';
export type { LogSink } from './tube/debug-log.js';
export {
  type Endian,
  type FlatOptions,
  type FlatValue,
  flat,
  type PackOptions,
  p8,
  p16,
  p32,
  p64,
  type UnpackOptions,
  u8,
  u16,
  u32,
  u64,
} from './tube/packing.js';
export { ProcessTube, type SpawnOptions, type SpawnPtyOptions, spawn } from './tube/process.js';
export { ReceiveBuffer } from './tube/receive-buffer.js';
export type { TextEncoding } from './tube/text.js';
export {
  type Delimiter,
  type Endpoint,
  type LinesOptions,
  type RecvOptions,
  type RecvRegexResult,
  type RecvUntilOptions,
  Tube,
  type TubeOptions,
} from './tube/tube.js';
