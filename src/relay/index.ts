export { createCrlfEncoder } from './crlf.js';
export { type ExecOptions, type ExecResult, execRelay } from './exec.js';
export type { JsExecHandler, JsExecInfo } from './exec-module.js';
export { formatHexDump } from './hexdump.js';
export { interactive } from './interactive.js';
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
