import { formatHostPort } from '../../address/host-port.js';
import { resolveListenAddress } from '../../address/resolve.js';
import { AbortError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { isBrokenPipe, pump, writeChunk } from '../../relay/stream-io.js';
import { serve } from '../../server/serve.js';
import type { Datagram } from '../../server/udp.js';
import { listenUdp, MAX_UDP_PAYLOAD } from '../../transports/udp.js';
import type { Endpoint } from '../../tube/tube.js';
import { buildHostFilter } from '../access.js';
import type { Context } from '../context.js';
import { logListening } from './listen.js';
import { eventEndpoint, openSessionEvent, peerName } from './session.js';
import { runUdpSession, toDatagrams } from './udp-session.js';

/** How long a `-u -l -k` peer session lives without a datagram either way, unless -i says. */
export const DEFAULT_UDP_SESSION_IDLE_MS = 60_000;

/**
 * `sockcat -u -l [host] port`: wait for the first datagram, then talk with its sender only (the
 * socket is connected to it, so the kernel refuses everyone else, as with ncat). With -k: many
 * peers, see runUdpKeepOpen.
 */
export async function runUdpListen(ctx: Context): Promise<void> {
  if (ctx.options.keepOpen) return runUdpKeepOpen(ctx);
  const { options, io, log } = ctx;
  const filter = await buildHostFilter(options);
  const listener = await listenUdp(
    { host: options.host ?? '', port: options.port },
    { family: options.family, numericOnly: options.numericOnly },
  );
  logListening(ctx, listener.address(), 'udp');
  let connection: Awaited<ReturnType<typeof listener.accept>>;
  try {
    connection = await listener.accept({
      ...(io.signal ? { signal: io.signal } : {}),
      ...(filter ? { allow: (remote) => admit(ctx, remote, filter.allows(remote.address)) } : {}),
    });
  } finally {
    await listener.close();
  }
  log.info(1, `Connection from ${peerName(connection)}.`);
  await runUdpSession(ctx, connection, 'accepted');
}

/** Log and report a sender refused by --allow/--deny; returns `allowed`. */
function admit(ctx: Context, remote: Endpoint, allowed: boolean): boolean {
  if (allowed) return true;
  denied(ctx, remote, 'not allowed', 'not-allowed');
  return false;
}

/** `why` for people (ncat's wording, with the sender added), `reason` for --json. */
function denied(ctx: Context, remote: Endpoint, why: string, reason: string): void {
  ctx.log.info(1, `New connection denied: ${why} (${formatHostPort(remote.address, remote.port)})`);
  ctx.events.emit({
    event: 'denied',
    transport: 'udp',
    remote: eventEndpoint(remote) ?? { path: '' },
    reason,
  });
}

interface PeerSession {
  id: number;
  remote: Endpoint;
  local: Endpoint;
  reply: Datagram['reply'];
  started: number;
  sent: number;
  received: number;
  expiry: NodeJS.Timeout;
}

/**
 * `sockcat -u -l -k`: one socket, one session per peer (source address and port). What any peer
 * sends goes to stdout; each read from stdin goes as a datagram to every live peer. A session
 * ends after `-i` (default 60 s) without a datagram either way; at most `-m` sessions at once
 * (datagrams from further peers are dropped). Runs until interrupted. Built on the public serve().
 */
export async function runUdpKeepOpen(ctx: Context): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  // Resolved here for -n (serve() has no such option); without a host serve() picks the wildcard.
  const host =
    options.host === undefined
      ? ''
      : (
          await resolveListenAddress(options.host, {
            family: options.family,
            numericOnly: options.numericOnly,
          })
        ).address;
  const filter = await buildHostFilter(options);
  const idleMs = options.idleTimeout ?? DEFAULT_UDP_SESSION_IDLE_MS;
  const sessions = new Map<string, PeerSession>();
  let stopRun!: (reason: 'stdout-closed' | 'aborted') => void;
  const stopped = new Promise<'stdout-closed' | 'aborted'>((resolve) => {
    stopRun = resolve;
  });

  const end = (session: PeerSession, reason: string) => {
    if (!sessions.delete(keyOf(session.remote))) return;
    clearTimeout(session.expiry);
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

  let input: ReturnType<typeof pump> | undefined;
  const startInput = () => {
    if (input || options.recvOnly) return;
    const encode = options.crlf ? createCrlfEncoder() : undefined;
    const max = MAX_UDP_PAYLOAD[server.address().family === 6 ? 6 : 4];
    input = pump(io.stdin, async (read) => {
      const chunk = encode ? encode(read) : read;
      for (const datagram of toDatagrams(chunk, max)) {
        sessionLog?.record(datagram);
        await Promise.all(
          [...sessions.values()].map((session) =>
            session.reply(datagram).then(
              () => {
                session.sent += datagram.length;
                session.expiry.refresh();
              },
              () => {},
            ),
          ),
        );
        if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
      }
    });
    input.done.then(
      () => log.info(2, 'EOF on stdin'),
      () => {},
    );
  };

  const server = await serve({
    protocol: 'udp',
    listen: { host, port: options.port },
    family: options.family,
    handler: async (datagram) => {
      const key = keyOf(datagram.remote);
      let session = sessions.get(key);
      if (!session) {
        if (filter && !filter.allows(datagram.remote.address)) {
          return denied(ctx, datagram.remote, 'not allowed', 'not-allowed');
        }
        if (sessions.size >= options.maxConns) {
          return denied(
            ctx,
            datagram.remote,
            `too many sessions (-m ${options.maxConns})`,
            'max-conns',
          );
        }
        const peer = { local: datagram.local, remote: datagram.remote };
        const created: PeerSession = {
          ...peer,
          id: openSessionEvent(ctx, peer, 'accepted', 'udp'),
          reply: datagram.reply,
          started: performance.now(),
          sent: 0,
          received: 0,
          expiry: setTimeout(() => end(created, 'idle-timeout'), idleMs),
        };
        session = created;
        sessions.set(key, session);
        log.info(1, `Connection from ${peerName(session)}.`);
        startInput();
      }
      session.received += datagram.data.length;
      session.expiry.refresh();
      sessionLog?.record(datagram.data);
      if (options.sendOnly) return;
      try {
        await writeChunk(io.stdout, datagram.data);
      } catch (error) {
        if (!isBrokenPipe(error)) throw error;
        stopRun('stdout-closed');
      }
    },
    onError: (error) => log.info(1, error.message),
  });
  logListening(ctx, server.address(), 'udp');

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const reason = await stopped;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  await server.close();
  for (const session of [...sessions.values()]) end(session, reason);
  if (reason === 'aborted') throw new AbortError('interrupted', { op: 'read' });
}

function keyOf(remote: Endpoint): string {
  return `${remote.address}|${remote.port}`;
}
