import { createSocket, type RemoteInfo } from 'node:dgram';
import { formatHostPort } from '../address/host-port.js';
import { resolveListenAddress } from '../address/resolve.js';
import { errorReason } from '../errors.js';
import { endpointOf } from '../transports/endpoint.js';
import { connectUdp, type UdpConnection } from '../transports/udp.js';
import type { Endpoint } from '../tube/tube.js';
import { DatagramSessions } from './datagram-sessions.js';
import type { ForwardTarget } from './forward-target.js';
import type { Forwarder, ForwardOptions } from './forward-types.js';
import { withRetry } from './retry.js';

/** A UDP session ends after this long without a datagram either way, unless idleTimeout says. */
export const DEFAULT_UDP_SESSION_IDLE = 120_000;
/** Datagrams held for a session while its upstream socket is being opened. */
const PENDING_DATAGRAMS = 64;

interface Session {
  id: number;
  remote: Endpoint;
  started: number;
  upstream: UdpConnection | undefined;
  pending: Buffer[];
  toTarget: number;
  toClient: number;
  /** Aborted when the session has ended. */
  ended: AbortSignal;
}

type UdpTarget = Extract<ForwardTarget, { kind: 'udp' }>;

/**
 * UDP forwarding: each source address and port sending to the listening socket is a session
 * with its own connected socket to the target, so that answers go back to the right peer. A
 * session ends after `idleTimeout` (default 2 minutes) without traffic, or when the target
 * refuses (ICMP port unreachable).
 */
export async function forwardUdp(
  from: UdpTarget,
  to: UdpTarget,
  options: ForwardOptions,
): Promise<Forwarder> {
  const emit = options.onEvent ?? (() => {});
  const target = `udp://${formatHostPort(to.host, to.port)}`;
  const { address, family, ipv6Only } = await resolveListenAddress(from.host, {
    family: options.listen?.family ?? 0,
  });
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port: from.port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {
    // ICMP errors for datagrams sent back to vanished peers concern nobody.
  });
  const bound = socket.address();
  const local = endpointOf(bound.address, bound.port, bound.family);
  let nextId = 0;
  let closed = false;
  let served = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  emit({ type: 'listening', local });

  const sessions: DatagramSessions<Session> = new DatagramSessions<Session>({
    idleMs: options.idleTimeout ?? DEFAULT_UDP_SESSION_IDLE,
    ...(options.maxConnections !== undefined ? { limit: options.maxConnections } : {}),
    onEnd: (session, reason) => {
      void session.upstream?.close();
      emit({
        type: 'closed',
        id: session.id,
        toTarget: session.toTarget,
        toClient: session.toClient,
        durationMs: Math.round(performance.now() - session.started),
        reason,
      });
      if (closed && sessions.size === 0) resolveDone();
    },
  });

  const open = async (session: Session, rinfo: RemoteInfo) => {
    let attempts = 0;
    try {
      session.upstream = await withRetry(
        () =>
          connectUdp(
            { host: to.host, port: to.port },
            {
              ...(options.connect?.family !== undefined ? { family: options.connect.family } : {}),
              ...(options.connect?.localAddress !== undefined
                ? { localAddress: options.connect.localAddress }
                : {}),
            },
          ),
        {
          ...options.retry,
          onAttempt: (attempt) => {
            attempts = attempt;
            emit({ type: 'connecting', id: session.id, target, attempt });
          },
          onFailure: (attempt, error, retryIn) =>
            emit({
              type: 'connect-failed',
              id: session.id,
              target,
              attempt,
              error: error as Error,
              retryIn,
            }),
        },
      );
    } catch {
      sessions.end(session, 'connect-failed');
      return;
    }
    const upstream = session.upstream;
    if (session.ended.aborted) {
      void upstream.close();
      return;
    }
    emit({
      type: 'connected',
      id: session.id,
      target,
      attempt: attempts,
      remote: upstream.remote,
      local: upstream.local,
    });
    for (const datagram of session.pending.splice(0)) void sendUp(session, datagram);
    try {
      for await (const datagram of upstream) {
        sessions.sent(session);
        session.toClient += datagram.length;
        options.tap?.(session.id, 'to-client', datagram);
        options.onBytes?.(0, datagram.length);
        socket.send(datagram, rinfo.port, rinfo.address);
      }
      sessions.end(session, 'done');
    } catch (error) {
      sessions.end(session, errorReason(error));
    }
  };

  const sendUp = async (session: Session, datagram: Buffer) => {
    try {
      await session.upstream!.send(datagram);
      session.toTarget += datagram.length;
      options.onBytes?.(datagram.length, 0);
    } catch (error) {
      sessions.end(session, errorReason(error));
    }
  };

  socket.on('message', (datagram: Buffer, rinfo: RemoteInfo) => {
    if (closed) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = sessions.get(key);
    if (!session) {
      const remote = endpointOf(rinfo.address, rinfo.port, rinfo.family);
      if (options.allow && !options.allow(remote)) {
        emit({ type: 'denied', remote, reason: 'not-allowed' });
        return;
      }
      if (options.once && served > 0) return;
      const id = nextId + 1;
      const created = sessions.add(key, (ended) => ({
        id,
        remote,
        started: performance.now(),
        upstream: undefined,
        pending: [],
        toTarget: 0,
        toClient: 0,
        ended,
      }));
      if (!created) {
        emit({ type: 'denied', remote, reason: 'max-conns' });
        return;
      }
      served++;
      nextId = id;
      session = created;
      emit({ type: 'accepted', id, remote, local });
      void open(created, rinfo);
    }
    sessions.received(session);
    // The tap sees what is relayed: not a datagram dropped while the upstream socket opens.
    if (!session.upstream && session.pending.length >= PENDING_DATAGRAMS) return;
    options.tap?.(session.id, 'to-target', datagram);
    if (session.upstream) void sendUp(session, datagram);
    else session.pending.push(datagram);
  });

  const close = async () => {
    if (!closed) {
      closed = true;
      socket.close();
      sessions.endAll('aborted');
      if (sessions.size === 0) resolveDone();
    }
    await done;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    address: () => local,
    tls: undefined,
    get connections() {
      return sessions.size;
    },
    done,
    close,
  };
}
