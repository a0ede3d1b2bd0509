import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { relayStdio, type StdioRelayOptions } from '../../relay/stdio-relay.js';
import type { Tube } from '../../tube/tube.js';
import type { Options } from '../args.js';
import type { CliIO } from '../io.js';
import type { Log } from '../log.js';
import type { SessionLog } from '../session-log.js';

export function peerName(tube: Tube): string {
  return tube.remote ? formatHostPort(tube.remote.address, tube.remote.port) : 'peer';
}

/**
 * Relay stdin/stdout over one connected tube with the end-of-file rules of docs/eof.md, then
 * close it. Errors propagate to run(), which reports them.
 */
export async function runSession(
  tube: Tube,
  options: Options,
  io: CliIO,
  log: Log,
  sessionLog?: SessionLog,
): Promise<void> {
  const started = performance.now();
  const relayOptions: StdioRelayOptions = {
    stdin: io.stdin,
    stdout: io.stdout,
    sendOnly: options.sendOnly,
    recvOnly: options.recvOnly,
    noShutdown: options.noShutdown,
    // The peer's FIN ends the session at once in listen mode (as ncat) and on a terminal (nobody
    // waits to type into a finished session); in connect mode piped stdin is first sent to its
    // end (as ncat: the peer may only have half-closed).
    endOnPeerEof: options.listen || (io.stdin as { isTTY?: boolean }).isTTY === true,
  };
  if (options.quitAfterEof !== undefined) relayOptions.quitAfterEof = options.quitAfterEof;
  if (options.idleTimeout !== undefined) relayOptions.idleTimeout = options.idleTimeout;
  if (options.crlf) relayOptions.transformSend = createCrlfEncoder();
  if (options.delay !== undefined) relayOptions.sendDelay = options.delay;
  if (sessionLog) {
    relayOptions.onSend = sessionLog.record;
    relayOptions.onReceive = sessionLog.record;
  }
  if (io.signal) relayOptions.signal = io.signal;
  try {
    const result = await relayStdio(tube, relayOptions);
    if (result.end === 'aborted') {
      throw new AbortError(`session with ${peerName(tube)} interrupted`, { op: 'read' });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    log.info(
      1,
      `${result.sent} bytes sent, ${result.received} bytes received in ${seconds} seconds.`,
    );
    log.info(2, `session with ${peerName(tube)} ended: ${result.end}`);
  } finally {
    tube.destroy();
  }
}
