import { createSocket, type RemoteInfo } from 'node:dgram';
import { formatHostPort } from '../address/host-port.js';
import { resolveListenAddress } from '../address/resolve.js';
import { errorReason } from '../errors.js';
import { endpointOf } from '../transports/endpoint.js';
import { connectUdp, type UdpConnection } from '../transports/udp.js';
import type { Endpoint } from '../tube/tube.js';
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
  timer: NodeJS.Timeout;
  ended: boolean;
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
  const sessions = new Map<string, Session>();
  const idle = options.idleTimeout ?? DEFAULT_UDP_SESSION_IDLE;
  let nextId = 0;
  let closed = false;
  let served = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  emit({ type: 'listening', local });

  const end = (key: string, session: Session, reason: string) => {
    if (session.ended) return;
    session.ended = true;
    clearTimeout(session.timer);
    sessions.delete(key);
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
  };

  const open = async (key: string, session: Session, rinfo: RemoteInfo) => {
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
      end(key, session, 'connect-failed');
      return;
    }
    const upstream = session.upstream;
    if (session.ended) {
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
    for (const datagram of session.pending.splice(0)) void sendUp(key, session, datagram);
    try {
      for await (const datagram of upstream) {
        session.timer.refresh();
        session.toClient += datagram.length;
        options.tap?.(session.id, 'to-client', datagram);
        options.onBytes?.(0, datagram.length);
        socket.send(datagram, rinfo.port, rinfo.address);
      }
      end(key, session, 'done');
    } catch (error) {
      end(key, session, errorReason(error));
    }
  };

  const sendUp = async (key: string, session: Session, datagram: Buffer) => {
    try {
      await session.upstream!.send(datagram);
      session.toTarget += datagram.length;
      options.onBytes?.(datagram.length, 0);
    } catch (error) {
      end(key, session, errorReason(error));
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
      if (options.maxConnections !== undefined && sessions.size >= options.maxConnections) {
        emit({ type: 'denied', remote, reason: 'max-conns' });
        return;
      }
      if (options.once && served > 0) return;
      served++;
      const id = ++nextId;
      const created: Session = {
        id,
        remote,
        started: performance.now(),
        upstream: undefined,
        pending: [],
        toTarget: 0,
        toClient: 0,
        ended: false,
        timer: setTimeout(() => end(key, created, 'idle-timeout'), idle),
      };
      session = created;
      sessions.set(key, created);
      emit({ type: 'accepted', id, remote, local });
      void open(key, created, rinfo);
    }
    session.timer.refresh();
    // The tap sees what is relayed: not a datagram dropped while the upstream socket opens.
    if (!session.upstream && session.pending.length >= PENDING_DATAGRAMS) return;
    options.tap?.(session.id, 'to-target', datagram);
    if (session.upstream) void sendUp(key, session, datagram);
    else session.pending.push(datagram);
  });

  const close = async () => {
    if (!closed) {
      closed = true;
      socket.close();
      for (const [key, session] of [...sessions]) end(key, session, 'aborted');
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
