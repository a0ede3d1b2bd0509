import type { Endpoint } from '../../address/endpoint.js';
import { AbortError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { isBrokenPipe, pump, writeChunk } from '../../relay/stream-io.js';
import type { Context } from '../context.js';
import { closeReasonOf, type Transport } from '../events.js';
import { eventEndpoint, openSessionEvent, peerName } from './session.js';
import { toDatagrams } from './udp-session.js';

/** How long a `-k` datagram peer session lives without a datagram either way, unless -i says. */
export const DEFAULT_DATAGRAM_SESSION_IDLE_MS = 60_000;

/** Who sent a datagram, as a DatagramSource reports it. */
export interface DatagramSender {
  /**
   * The peer's session key (UDP: address and port; Unix: the socket's name). Undefined: the
   * sender has no name, cannot be answered, and gets no session (its data is still shown).
   */
  key: string | undefined;
  remote: Endpoint;
  local: Endpoint | undefined;
  /** Send a datagram back to this sender; `signal` (its session ended) withdraws it if waiting. */
  reply(datagram: Buffer, signal: AbortSignal): Promise<void>;
}

/** What runDatagramKeepOpen gives a source to report to. */
export interface DatagramSink {
  /** One received datagram; resolves once it has been handled. Never rejects. */
  deliver(data: Buffer, sender: DatagramSender): Promise<void>;
  /** Receiving failed for good: the run ends with this error. */
  fail(error: Error): void;
}

/** A source that is receiving. */
export interface OpenDatagramSource {
  /** The largest datagram a reply takes: longer stdin reads are split. */
  readonly maxDatagram: number;
  /** Stop receiving (and release the socket). */
  close(): Promise<void>;
}

/** A socket that many datagram peers send to: UDP (serve udp) or Unix datagram (`-U -u`). */
export interface DatagramSource {
  readonly transport: Transport;
  /** --allow/--deny for a new peer (only transports with IP addresses have them). */
  readonly allows?: ((remote: Endpoint) => boolean) | undefined;
  /**
   * A failed reply: the `closed` reason when it means the peer is gone (its session ends now),
   * undefined when it says nothing about the peer (the session lives on until it expires).
   */
  readonly peerGone?: ((error: unknown) => string | undefined) | undefined;
  /** Bind, report `listening`, and start handing datagrams to `sink`. */
  open(sink: DatagramSink): Promise<OpenDatagramSource>;
}

interface PeerSession {
  id: number;
  key: string;
  remote: Endpoint;
  local: Endpoint | undefined;
  reply: DatagramSender['reply'];
  started: number;
  sent: number;
  received: number;
  expiry: NodeJS.Timeout;
  /** Aborted when the session ends: a reply still waiting for the peer is withdrawn. */
  ended: AbortController;
}

/**
 * Log and report a sender whose datagrams are dropped: `why` for people (ncat's wording, with
 * the sender added), `reason` for --json.
 */
export function reportDenied(
  ctx: Context,
  transport: Transport,
  remote: Endpoint,
  why: string,
  reason: string,
): void {
  ctx.log.info(1, `New connection denied: ${why} (${peerName({ remote })})`);
  ctx.events.emit({
    event: 'denied',
    transport,
    remote: eventEndpoint(remote) ?? { path: '' },
    reason,
  });
}

type RunEnd = 'stdout-closed' | 'aborted' | 'quit-after-eof' | Error;

/**
 * `-l -k` over datagrams (`-u`, `-U -u`): one socket, one session per peer. What any peer sends
 * goes to stdout; each read from stdin goes as a datagram to every live peer. A session ends
 * after `-i` (default 60 s) without a datagram either way; at most `-m` sessions at once
 * (datagrams from further peers are dropped, with a `denied` event). Runs until interrupted.
 */
export async function runDatagramKeepOpen(ctx: Context, source: DatagramSource): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const idleMs = options.idleTimeout ?? DEFAULT_DATAGRAM_SESSION_IDLE_MS;
  const sessions = new Map<string, PeerSession>();
  let stopRun!: (end: RunEnd) => void;
  const stopped = new Promise<RunEnd>((resolve) => {
    stopRun = resolve;
  });

  const end = (session: PeerSession, reason: string) => {
    if (sessions.get(session.key) !== session) return;
    sessions.delete(session.key);
    clearTimeout(session.expiry);
    session.ended.abort();
    ctx.events.emit({
      event: 'closed',
      id: session.id,
      reason,
      sent: session.sent,
      received: session.received,
      durationMs: Math.round(performance.now() - session.started),
    });
    log.info(2, `session with ${peerName(session)} ended: ${reason}`);
  };

  const denied = (remote: Endpoint, why: string, reason: string) =>
    reportDenied(ctx, source.transport, remote, why, reason);

  let opened: OpenDatagramSource | undefined;
  let stopping = false;
  let input: ReturnType<typeof pump> | undefined;
  const startInput = () => {
    if (input || options.recvOnly || !opened) return;
    const encode = options.crlf ? createCrlfEncoder() : undefined;
    const max = opened.maxDatagram;
    input = pump(io.stdin, async (read) => {
      const chunk = encode ? encode(read) : read;
      for (const datagram of toDatagrams(chunk, max)) {
        sessionLog?.record(datagram);
        await Promise.all(
          [...sessions.values()].map((session) =>
            session.reply(datagram, session.ended.signal).then(
              () => {
                session.sent += datagram.length;
                session.expiry.refresh();
              },
              (error: unknown) => {
                if (stopping) return;
                const reason = source.peerGone?.(error);
                if (reason !== undefined) end(session, reason);
              },
            ),
          ),
        );
        if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
      }
    });
    input.done.then(
      () => {
        log.info(2, 'EOF on stdin');
        // -q: the server ends that long after stdin's end (exit 0).
        const quit = options.quitAfterEof;
        if (quit !== undefined && Number.isFinite(quit)) {
          setTimeout(() => stopRun('quit-after-eof'), quit).unref();
        }
      },
      () => {},
    );
  };

  /** The session for this sender, a new one if admitted, undefined if refused or unnamed. */
  const sessionFor = (sender: DatagramSender): PeerSession | undefined => {
    if (sender.key === undefined) {
      log.info(2, `datagram from ${peerName(sender)}: shown, but it cannot be answered`);
      return undefined;
    }
    const session = sessions.get(sender.key);
    if (session) return session;
    if (source.allows && !source.allows(sender.remote)) {
      denied(sender.remote, 'not allowed', 'not-allowed');
      return undefined;
    }
    if (sessions.size >= options.maxConns) {
      denied(sender.remote, `too many sessions (-m ${options.maxConns})`, 'max-conns');
      return undefined;
    }
    const peer = { local: sender.local, remote: sender.remote };
    const created: PeerSession = {
      ...peer,
      key: sender.key,
      id: openSessionEvent(ctx, peer, 'accepted', source.transport),
      reply: sender.reply,
      started: performance.now(),
      sent: 0,
      received: 0,
      expiry: setTimeout(() => end(created, 'idle-timeout'), idleMs),
      ended: new AbortController(),
    };
    sessions.set(sender.key, created);
    log.info(1, `Connection from ${peerName(created)}.`);
    startInput();
    return created;
  };

  const deliver = async (data: Buffer, sender: DatagramSender): Promise<void> => {
    const session = sessionFor(sender);
    // A refused peer's datagram is dropped; an unnamed sender's is shown.
    if (!session && sender.key !== undefined) return;
    if (session) {
      session.received += data.length;
      session.expiry.refresh();
    }
    sessionLog?.record(data);
    if (options.sendOnly) return;
    try {
      await writeChunk(io.stdout, data);
    } catch (error) {
      if (isBrokenPipe(error)) stopRun('stdout-closed');
      else log.info(1, (error as Error).message);
    }
  };

  opened = await source.open({ deliver, fail: (error) => stopRun(error) });
  // A datagram handled while open() was finishing may have started a session already.
  if (sessions.size > 0) startInput();

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const outcome = await stopped;
  // Replies failing from here on fail because the socket closes: the sessions end below.
  stopping = true;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  await opened.close();
  const reason = outcome instanceof Error ? closeReasonOf(outcome) : outcome;
  for (const session of [...sessions.values()]) end(session, reason);
  if (outcome instanceof Error) throw outcome;
  if (outcome === 'aborted') throw new AbortError('interrupted', { op: 'read' });
}
