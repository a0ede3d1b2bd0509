export { IP_PROTOCOLS, openRaw, type RawSocketOptions } from './raw.js';
export {
  connectSeqpacket,
  listenSeqpacket,
  SeqpacketListener,
  type SeqpacketOptions,
} from './seqpacket.js';
export { parseTarget, type Target, type TargetInput } from './target.js';
export { type ConnectOptions, connect } from './tcp-connect.js';
export { type AcceptOptions, Listener, type ListenOptions, listen } from './tcp-listen.js';
export {
  openUnixDatagram,
  type UnixDatagramOptions,
  UnixDatagramSocket,
} from './unix-datagram.js';
