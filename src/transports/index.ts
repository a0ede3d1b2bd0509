export { parseTarget, type Target, type TargetInput } from './target.js';
export { type ConnectOptions, connect } from './tcp-connect.js';
export {
  type AcceptOptions,
  Listener,
  type ListenerTls,
  type ListenOptions,
  listen,
} from './tcp-listen.js';
