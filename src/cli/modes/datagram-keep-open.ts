import type { Endpoint } from '../../address/endpoint.js';
import type { Network } from '../../errors.js';
import { AbortError } from '../../errors.js';
import { DatagramSessions } from '../../relay/datagram-sessions.js';
import { isBrokenPipe, writeChunk } from '../../relay/stream-io.js';
import { DatagramInbox } from '../../tube/datagram-inbox.js';
import { reportDenied } from '../access.js';
import { monotonicMs } from '../clock.js';
import { reportConnectionLimit } from '../connection-limit.js';
import type { Context } from '../context.js';
import { closeReasonOf, type Transport } from '../events.js';
import type { ExecMode } from './exec.js';
import { emitClosed, openSessionEvent, peerName } from './session.js';
import { type FanOut, fanOutStdin } from './stdin-fan-out.js';
import { type DatagramPeer, toDatagrams } from './udp-session.js';

/** Datagrams held for a session's command that does not keep up; later ones are dropped. */
const SESSION_INBOX_LIMIT = 256;

/** How long a `-k` datagram peer session lives without a datagram either way, unless -i says. */
export const DEFAULT_DATAGRAM_SESSION_IDLE_MS = 60_000;

/**
 * How long a session whose peer has sent only one datagram lives (or -i, if shorter). One-shot
 * senders (a probe, a spoofed source) would otherwise hold a slot of -m for the whole -i.
 */
export const ONE_SHOT_SESSION_IDLE_MS = 10_000;

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
  /**
   * A peer that has a session before it sends data (DTLS, once its handshake is done): its
   * session starts now, or it is refused (--allow, -m; reported) and false is returned.
   */
  admit(sender: DatagramSender): boolean;
  /** The peer ended its session itself (DTLS close_notify). */
  end(key: string, reason: string): void;
}

/** A source that is receiving. */
export interface OpenDatagramSource {
  /** The largest datagram a reply takes: longer stdin reads are split. */
  readonly maxDatagram: number;
  /** The address bound (for -e's warning about a listener anyone can reach). */
  readonly bound?: Endpoint | undefined;
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
  /** A peer's session ended here (idle, refused, stopped): release what the source keeps. */
  ended?(key: string): void;
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
  /** Aborted when the session ends: a reply still waiting for the peer is withdrawn. */
  ended: AbortSignal;
  /** -e/-c/--js-exec/--lua-exec: the peer's datagrams waiting for this session's command. */
  inbox?: DatagramInbox;
}

/** The network a session's tube names (NCAT_PROTO, messages) for each datagram transport. */
const NETWORK: Partial<Record<Transport, Network>> = { udp: 'udp', 'unix-dgram': 'unixgram' };

type RunEnd = 'stdout-closed' | 'aborted' | 'quit-after-eof' | Error;

/**
 * `-l -k` over datagrams (`-u`, `-U -u`): one socket, one session per peer. What any peer sends
 * goes to stdout; each read from stdin goes as a datagram to every live peer. A session ends
 * after `-i` (default 60 s) without a datagram either way, one whose peer sent a single datagram
 * after 10 s (or -i if shorter); at most `-m` sessions at once: a new peer takes the place of the
 * oldest one-shot session, else its datagrams are dropped (a `denied` event). Runs until
 * interrupted.
 *
 * With -e, -c, --js-exec or --lua-exec each session runs its own command instead (ncat runs a
 * child per UDP peer): the peer's datagrams go to its stdin, one write each; each chunk it writes
 * goes back to that peer as one datagram (split at the maximum). sockcat's stdin and stdout are
 * not used. The command's end ends the session; the session's end (expiry, eviction, the run's
 * end) ends the command (its process group), which is always reaped before the run returns.
 */
export async function runDatagramKeepOpen(ctx: Context, source: DatagramSource): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  // -e/-c/--js-exec/--lua-exec: loaded before anything is bound (a bad module fails with exit 2).
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const tubes = exec ? await import('./datagram-tube.js') : undefined;
  /** The commands still running (or being reaped): the run waits for every one of them. */
  const commands = new Set<Promise<void>>();
  let stopRun!: (end: RunEnd) => void;
  const stopped = new Promise<RunEnd>((resolve) => {
    stopRun = resolve;
  });

  // At most -m sessions: a new peer takes the place of the oldest one-shot session.
  const sessions = new DatagramSessions<PeerSession>({
    idleMs: options.idleTimeout ?? DEFAULT_DATAGRAM_SESSION_IDLE_MS,
    oneShotMs: ONE_SHOT_SESSION_IDLE_MS,
    limit: options.maxConns,
    evictOneShot: true,
    onEnd: (session, reason) => {
      source.ended?.(session.key);
      session.inbox?.close();
      emitClosed(ctx, session.id, reason, session, session.started);
      log.info(2, `session with ${peerName(session)} ended: ${reason}`);
    },
  });

  let opened: OpenDatagramSource | undefined;
  let stopping = false;
  let input: FanOut | undefined;
  const startInput = () => {
    // An exec run's sessions talk with their commands: sockcat's stdin is not read (as ncat).
    if (input || !opened || exec) return;
    const max = opened.maxDatagram;
    input = fanOutStdin(ctx, {
      messages: (read) => (read ? toDatagrams(read, max) : []),
      deliver: async (datagram) => {
        sessionLog?.record(datagram);
        await Promise.all(
          sessions.sessions().map((session) =>
            session.reply(datagram, session.ended).then(
              () => {
                session.sent += datagram.length;
                sessions.sent(session);
              },
              (error: unknown) => {
                if (stopping) return;
                const reason = source.peerGone?.(error);
                if (reason !== undefined) sessions.end(session, reason);
              },
            ),
          ),
        );
      },
      quit: () => stopRun('quit-after-eof'),
    });
  };

  /** The session for this sender, a new one if admitted, undefined if refused or unnamed. */
  const sessionFor = (sender: DatagramSender): PeerSession | undefined => {
    if (stopping) return undefined;
    if (sender.key === undefined) {
      if (exec) {
        log.info(
          1,
          `datagram from ${peerName(sender)} dropped: it cannot be answered, so no command runs for it`,
        );
      } else {
        log.info(2, `datagram from ${peerName(sender)}: shown, but it cannot be answered`);
      }
      return undefined;
    }
    const session = sessions.get(sender.key);
    if (session) return session;
    if (source.allows && !source.allows(sender.remote)) {
      reportDenied(ctx, sender.remote, { transport: source.transport });
      return undefined;
    }
    const peer = { local: sender.local, remote: sender.remote };
    const { key } = sender;
    const created = sessions.add(key, (ended) => ({
      ...peer,
      key,
      id: openSessionEvent(ctx, peer, 'accepted', source.transport),
      reply: sender.reply,
      started: monotonicMs(),
      sent: 0,
      received: 0,
      ended,
    }));
    if (!created) {
      reportConnectionLimit(ctx, sender.remote, sessions.size, source.transport);
      return undefined;
    }
    log.info(1, `Connection from ${peerName(created)}.`);
    if (exec) runCommand(created, exec);
    else startInput();
    return created;
  };

  /** Start the session's command; its end ends the session (with the reason it gives). */
  const runCommand = (session: PeerSession, mode: ExecMode) => {
    const inbox = new DatagramInbox(SESSION_INBOX_LIMIT);
    session.inbox = inbox;
    const peer: DatagramPeer = {
      local: session.local,
      remote: session.remote,
      maxDatagram: opened?.maxDatagram ?? Number.POSITIVE_INFINITY,
      [Symbol.asyncIterator]: () => inbox[Symbol.asyncIterator](),
      send: (datagram) =>
        session.reply(datagram, session.ended).then(
          () => {
            session.sent += datagram.length;
            sessions.sent(session);
          },
          (error: unknown) => {
            // A reply that fails is lost, as a datagram may be; one that says the peer is gone
            // ends the session (and so the command).
            if (stopping || session.ended.aborted) return;
            const reason = source.peerGone?.(error);
            if (reason !== undefined) sessions.end(session, reason);
            else log.info(2, `reply to ${peerName(session)} failed: ${(error as Error).message}`);
          },
        ),
      // The command's end closes its tube: the session ends when session() resolves, below.
      close: () => {},
    };
    const { datagramTube } = tubes!;
    const running = mode
      .session(datagramTube(peer, NETWORK[source.transport] ?? 'udp'), 'accepted', {
        keepOpen: true,
        signal: session.ended,
        managedId: session.id,
      })
      .then(
        (reason) => sessions.end(session, reason),
        (error: unknown) => sessions.end(session, closeReasonOf(error)),
      )
      .finally(() => commands.delete(running));
    commands.add(running);
  };

  const deliver = async (data: Buffer, sender: DatagramSender): Promise<void> => {
    const session = sessionFor(sender);
    if (exec) {
      // The command's taps count and record what it reads (-o/-x); a full inbox drops.
      if (!session) return;
      session.received += data.length;
      sessions.received(session);
      if (!session.inbox?.deliver(data)) {
        log.info(2, `datagram from ${peerName(session)} dropped: its command is not reading`);
      }
      return;
    }
    // A refused peer's datagram is dropped; an unnamed sender's is shown.
    if (!session && sender.key !== undefined) return;
    if (session) {
      session.received += data.length;
      sessions.received(session);
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

  opened = await source.open({
    deliver,
    fail: (error) => stopRun(error),
    admit: (sender) => sessionFor(sender) !== undefined,
    end: (key, reason) => {
      const session = sessions.get(key);
      if (session) sessions.end(session, reason);
    },
  });
  // A datagram handled while open() was finishing may have started a session already.
  if (sessions.size > 0) startInput();
  if (opened.bound) exec?.listening(opened.bound);

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const outcome = await stopped;
  // Replies failing from here on fail because the run is ending: no new session starts.
  stopping = true;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  // The sessions end with the run's reason (DTLS: a close_notify to each peer), then the socket
  // closes; closed the other way round, a DTLS session would end as if its peer had closed it.
  sessions.endAll(outcome instanceof Error ? closeReasonOf(outcome) : outcome);
  await opened.close();
  // Every command ended with its session: the run returns once each one has been reaped.
  await Promise.all([...commands]);
  if (outcome instanceof Error) throw outcome;
  if (outcome === 'aborted') throw new AbortError('interrupted', { op: 'read' });
}
