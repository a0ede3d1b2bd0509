import { Readable } from 'node:stream';
import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { relayStdio, type StdioRelayOptions } from '../../relay/stdio-relay.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import type { Context } from '../context.js';
import type { EventEndpoint, Transport } from '../events.js';

export function peerName(tube: Tube): string {
  const remote = tube.remote;
  if (!remote) return 'peer';
  if (remote.family === 0) return remote.address || 'peer';
  return formatHostPort(remote.address, remote.port);
}

/** An endpoint as --json reports it: a Unix socket by its path, an IP endpoint by address:port. */
export function eventEndpoint(endpoint: Endpoint | undefined): EventEndpoint | undefined {
  if (!endpoint) return undefined;
  // Unix sockets are family 0 with the path (or @name) as the address.
  if (endpoint.family === 0) return { path: endpoint.address };
  return { address: endpoint.address, port: endpoint.port };
}

/**
 * Emit the `connected` / `accepted` event for a new session and return its id, for the
 * `closed` event that ends it.
 */
export function openSessionEvent(
  ctx: Context,
  tube: Tube,
  how: 'connected' | 'accepted',
  transport: Transport = tube.remote?.family === 0 ? 'unix' : 'tcp',
): number {
  const id = ctx.events.nextId();
  if (!ctx.events.enabled) return id;
  const local = eventEndpoint(tube.local);
  ctx.events.emit({
    event: how,
    transport,
    id,
    ...(local ? { local } : {}),
    remote: eventEndpoint(tube.remote) ?? { path: '' },
  });
  return id;
}

/**
 * The stdin a session reads: none at all with -d (nc.openbsd), and an ended one once stdin has
 * ended in an earlier session (sequential -k), so that the end-of-file rules apply at once.
 */
function sessionStdin(ctx: Context): Readable {
  const stdin = ctx.options.noStdin ? undefined : ctx.io.stdin;
  if (stdin && !stdin.readableEnded) return stdin;
  return Readable.from([]);
}

/**
 * Relay stdin/stdout over one connected tube with the end-of-file rules of docs/eof.md, then
 * close it. Errors propagate to run(), which reports them.
 */
export async function runSession(
  ctx: Context,
  tube: Tube,
  how: 'connected' | 'accepted',
): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const started = performance.now();
  const id = openSessionEvent(ctx, tube, how);
  const relayOptions: StdioRelayOptions = {
    stdin: sessionStdin(ctx),
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
  if (options.idleTimeoutEndsQuietly) relayOptions.idleEndsQuietly = true;
  if (options.lineInterval) relayOptions.lineInterval = options.lineInterval;
  if (options.crlf) relayOptions.transformSend = createCrlfEncoder();
  if (options.delay !== undefined) relayOptions.sendDelay = options.delay;
  if (sessionLog) {
    relayOptions.onSend = sessionLog.record;
    relayOptions.onReceive = sessionLog.record;
  }
  if (io.signal) relayOptions.signal = io.signal;
  try {
    const result = await relayStdio(tube, relayOptions);
    const durationMs = performance.now() - started;
    ctx.events.emit({
      event: 'closed',
      id,
      reason: result.end,
      sent: result.sent,
      received: result.received,
      durationMs: Math.round(durationMs),
    });
    if (result.end === 'aborted') {
      throw new AbortError(`session with ${peerName(tube)} interrupted`, { op: 'read' });
    }
    if (options.dialect === 'openbsd') return;
    log.info(
      1,
      `${result.sent} bytes sent, ${result.received} bytes received in ${(durationMs / 1000).toFixed(2)} seconds.`,
    );
    log.info(2, `session with ${peerName(tube)} ended: ${result.end}`);
  } finally {
    tube.destroy();
  }
}
