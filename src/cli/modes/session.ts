import { Readable } from 'node:stream';
import { isatty, type ReadStream, type WriteStream } from 'node:tty';
import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { type RelayedBytes, relayedBytes } from '../../relay/relayed-bytes.js';
import { type RelayResult, relayStdio, type StdioRelayOptions } from '../../relay/stdio-relay.js';
import type { TlsInfo } from '../../tls/options.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';
import { closeReasonOf, type EventEndpoint, type Transport } from '../events.js';
import { progressMeterFor } from '../progress.js';

/** Anything with endpoints: a Tube, a UdpConnection, a UDP peer session. */
export interface HasEndpoints {
  readonly local?: Endpoint | undefined;
  readonly remote?: Endpoint | undefined;
  /** What TLS negotiated, on a Tube that speaks it. */
  readonly tls?: TlsInfo | undefined;
}

export function peerName(tube: HasEndpoints): string {
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

/** Session ids by tube, for events that come later (a WebSocket's close). */
const sessionIds = new WeakMap<object, number>();

/** The id of the session running on `tube`, once its connected/accepted event was emitted. */
export function sessionIdOf(tube: object): number | undefined {
  return sessionIds.get(tube);
}

/**
 * The transport a session's events name: a WebSocket tube has `whenClosed`; a datagram peer's
 * tube (-u -e, -U -u -e) says its network.
 */
function transportOf(tube: HasEndpoints): Transport {
  if ('whenClosed' in tube) return 'websocket';
  const network = (tube as { network?: unknown }).network;
  if (network === 'udp') return 'udp';
  if (network === 'unixgram') return 'unix-dgram';
  return tube.remote?.family === 0 ? 'unix' : 'tcp';
}

/**
 * Emit the `connected` / `accepted` event for a new session and return its id, for the
 * `closed` event that ends it.
 */
export function openSessionEvent(
  ctx: Context,
  tube: HasEndpoints,
  how: 'connected' | 'accepted',
  transport: Transport = transportOf(tube),
  via?: ProxiedSession,
): number {
  const id = ctx.events.nextId();
  sessionIds.set(tube, id);
  if (!ctx.events.enabled) return id;
  const local = eventEndpoint(tube.local);
  const tls = tube.tls && {
    protocol: tube.tls.protocol,
    cipher: tube.tls.cipher,
    ...(tube.tls.alpn ? { alpn: tube.tls.alpn } : {}),
    ...(tube.tls.fingerprint ? { fingerprint: tube.tls.fingerprint } : {}),
    verified: tube.tls.verified,
  };
  ctx.events.emit({
    event: how,
    transport,
    id,
    ...(local ? { local } : {}),
    remote: via?.remote ?? eventEndpoint(tube.remote) ?? { path: '' },
    ...(via ? { proxy: via.proxy } : {}),
    ...(tls ? { tls } : {}),
  });
  return id;
}

/** A session tunnelled through proxies: the destination as named, and the hops (`type://h:p`). */
export interface ProxiedSession {
  remote: EventEndpoint;
  proxy: string[];
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
 * Whether stdin is a terminal. The process's own fd 0 is asked with isatty(3), as process.stdin
 * decides its own isTTY, so that a session on the native path never makes the stdin stream at
 * all (an fs.ReadStream over a file loads fs/promises and readline with it).
 */
function stdinIsTerminal(ctx: Context): boolean {
  const { io } = ctx;
  return io.fds ? isatty(io.fds.stdin) : (io.stdin as { isTTY?: boolean }).isTTY === true;
}

/**
 * What the peer's FIN does to a session (docs/eof.md, row 2), by role:
 * - connect mode ends the session at once, stdin left unread (ncat 7.96: "no longer stays
 *   half-closed"); `-k` keeps the old half-closed behaviour: stdout is closed, stdin goes on.
 * - listen mode closes stdout (`sockcat -l | tar x` finishes) and sends the rest of stdin, then
 *   exits at stdin EOF, as upstream's tests ask; on a terminal it ends at once (nobody is waiting
 *   to type into a finished session), unless -k asked to stay.
 * - the OpenBSD dialect keeps nc.openbsd's rules: listen mode ends at once, connect mode sends
 *   stdin to its end (on a terminal it ends at once).
 */
function peerEofRule(ctx: Context): Pick<StdioRelayOptions, 'endOnPeerEof' | 'endStdoutOnPeerEof'> {
  const { options } = ctx;
  const terminal = stdinIsTerminal(ctx);
  const listen = ctx.plan.role === 'listen';
  if (options.dialect === 'openbsd') return { endOnPeerEof: listen || terminal };
  // A WebSocket has no half-close: after the peer's Close nothing more can be sent.
  if (ctx.plan.transport === 'websocket') return { endOnPeerEof: true };
  if (listen ? terminal : ctx.plan.multiplicity !== 'keep-open') return { endOnPeerEof: true };
  return { endOnPeerEof: false, endStdoutOnPeerEof: true };
}

/**
 * The descriptors behind stdin and stdout for the native data path, when this session may read
 * fd 0 directly: not on a terminal (interactive, and row 2's terminal rule), not when stdin is
 * not read at all (-d) or is shared by sessions one after another (nc's -k).
 */
function nativeFds(ctx: Context): { stdin: number; stdout: number } | undefined {
  const { options, io } = ctx;
  const sequential = ctx.plan.multiplicity === 'keep-open' && options.keepOpenSequential;
  if (!io.fds || options.noStdin || sequential) return undefined;
  if (stdinIsTerminal(ctx)) return undefined;
  return io.fds;
}

/**
 * Relay stdin/stdout over one connected tube with the end-of-file rules of docs/eof.md, then
 * close it. Errors propagate to run(), which reports them.
 */
export async function runSession(
  ctx: Context,
  tube: Tube,
  how: 'connected' | 'accepted',
  via?: ProxiedSession,
): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const started = monotonicMs();
  const id = openSessionEvent(ctx, tube, how, undefined, via);
  // stdin is made when the relay first reads it (only on the JavaScript path).
  let stdin: Readable | undefined;
  const relayOptions: StdioRelayOptions = {
    get stdin() {
      stdin ??= sessionStdin(ctx);
      return stdin;
    },
    set stdin(value) {
      stdin = value;
    },
    stdout: io.stdout,
    sendOnly: options.sendOnly,
    recvOnly: options.recvOnly,
    noShutdown: options.noShutdown,
    ...peerEofRule(ctx),
  };
  if (options.quitAfterEof !== undefined) relayOptions.quitAfterEof = options.quitAfterEof;
  if (options.idleTimeout !== undefined) relayOptions.idleTimeout = options.idleTimeout;
  if (options.idleTimeoutEndsQuietly) relayOptions.idleEndsQuietly = true;
  if (options.lineInterval) relayOptions.lineInterval = options.lineInterval;
  if (options.crlf) relayOptions.transformSend = createCrlfEncoder();
  if (options.delay !== undefined) relayOptions.sendDelay = options.delay;
  if (options.telnet) {
    const { createTelnetParser } = await import('../../relay/telnet.js');
    const parser = createTelnetParser();
    relayOptions.transformReceive = (chunk) => parser.feed(chunk);
  }
  const meter = progressMeterFor(options.progress, io.stderr);
  // A byte counter is not a tap: the native data path still serves --progress.
  if (meter) relayOptions.meter = meter;
  if (sessionLog) {
    relayOptions.onSend = (chunk) => sessionLog.record(chunk);
    relayOptions.onReceive = (chunk) => sessionLog.record(chunk);
  }
  const fds = nativeFds(ctx);
  if (fds) relayOptions.fds = fds;
  if (options.dialect === 'ncat')
    relayOptions.onDataPath = (path) => log.info(1, `Data path: ${path}.`);
  if (io.signal) relayOptions.signal = io.signal;
  // --raw: keys go to the peer as typed; Enter ~ . ends the session (as ssh's escape).
  const terminal = options.raw ? await import('../raw-terminal.js') : undefined;
  const raw = terminal?.enterRawTerminal(io.stdin as ReadStream);
  // --pty-resize: the window size goes in-band with the keys, at the start and on each resize.
  const sized =
    raw && options.ptyResize
      ? terminal?.withWindowSize(raw.input, io.stdout as WriteStream)
      : undefined;
  if (raw) {
    relayOptions.stdin = sized?.input ?? raw.input;
    relayOptions.signal = io.signal ? AbortSignal.any([io.signal, raw.escaped]) : raw.escaped;
  }
  try {
    let result: RelayResult;
    try {
      result = await relayStdio(tube, relayOptions);
    } catch (error) {
      // The relay's counts include what the native path moved out of the tube's sight.
      const moved = relayedBytes(error) ?? { sent: tube.bytesSent, received: tube.bytesReceived };
      emitClosed(ctx, id, closeReasonOf(error), moved, started);
      throw error;
    } finally {
      raw?.restore();
      sized?.stop();
      // The meter's last line ends before any other message.
      meter?.finish();
    }
    const durationMs = monotonicMs() - started;
    emitClosed(ctx, id, result.end, result, started);
    if (result.end === 'aborted' && raw?.escaped.aborted) {
      log.error(`session with ${peerName(tube)} ended by ~.`);
    } else if (result.end === 'aborted') {
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

/** The `closed` event of a session on a tube: byte counts from the tube, time since `started`. */
export function emitTubeClosed(
  ctx: Context,
  id: number,
  reason: string,
  tube: Tube,
  started: number,
): void {
  emitClosed(ctx, id, reason, { sent: tube.bytesSent, received: tube.bytesReceived }, started);
}

/**
 * The `closed` event of every session, in every mode and transport: the byte counts a relay
 * reported (the native path's included) or a session counted, and the time since `started`.
 */
export function emitClosed(
  ctx: Context,
  id: number,
  reason: string,
  moved: RelayedBytes,
  started: number,
): void {
  ctx.events.emit({
    event: 'closed',
    id,
    reason,
    sent: moved.sent,
    received: moved.received,
    durationMs: Math.round(monotonicMs() - started),
  });
}
