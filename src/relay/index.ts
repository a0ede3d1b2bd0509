export { createCrlfEncoder } from './crlf.js';
export { type ExecOptions, type ExecResult, execRelay } from './exec.js';
export type { JsExecHandler, JsExecInfo } from './exec-module.js';
export {
  connectForwardTarget,
  type ForwardConnectOptions,
  type ForwardDirection,
  type ForwardEvent,
  type Forwarder,
  type ForwardListenOptions,
  type ForwardOptions,
  forward,
} from './forward.js';
export { type ForwardTarget, formatForwardTarget, parseForwardTarget } from './forward-target.js';
export { DEFAULT_UDP_SESSION_IDLE } from './forward-udp.js';
export { formatHexDump } from './hexdump.js';
export { interactive } from './interactive.js';
export {
  DEFAULT_RETRY_DELAY,
  DEFAULT_RETRY_MAX_DELAY,
  type RetryOptions,
  retryDelay,
  withRetry,
} from './retry.js';
export {
  type RelayEnd,
  type RelayResult,
  relayStdio,
  type StdioRelayOptions,
} from './stdio-relay.js';
export { type Pump, pump, writeChunk } from './stream-io.js';
export {
  createTelnetParser,
  TelnetCommand,
  type TelnetOutput,
  type TelnetParser,
} from './telnet.js';
