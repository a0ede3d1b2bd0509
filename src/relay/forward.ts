import { formatHostPort } from '../address/host-port.js';
import { type ConnectOptions, connect } from '../dial/connect.js';
import { ArgumentError } from '../errors.js';
import { splice } from '../proxy/splice.js';
import { type ListenOptions, listen } from '../transports/tcp-listen.js';
import type { Endpoint, Tube } from '../tube/tube.js';
import { type ForwardTarget, formatForwardTarget, parseForwardTarget } from './forward-target.js';
import type { ForwardConnectOptions, Forwarder, ForwardOptions } from './forward-types.js';
import { withRetry } from './retry.js';

export type {
  ForwardConnectOptions,
  ForwardDirection,
  ForwardEvent,
  Forwarder,
  ForwardListenOptions,
  ForwardOptions,
  ForwardWebSocketOptions,
} from './forward-types.js';

interface AcceptSide {
  accept(): Promise<Tube>;
  address(): Endpoint;
  readonly tls: { fingerprint: string; ephemeral: boolean } | undefined;
  close(): Promise<void>;
}

/**
 * Relay each client accepted on `listenTarget` to a new connection to `connectTarget`, in this
 * process: end of file passes per direction (the client's FIN reaches the target and the answer
 * still comes back), with backpressure both ways. Targets are `host:port`, `tls://`, `ws://`,
 * `wss://`, `unix:` and `udp://` (see parseForwardTarget); UDP listens only for a UDP target, each
 * peer being a session. See docs/library.md ("Forwarding").
 */
export async function forward(
  listenTarget: string | ForwardTarget,
  connectTarget: string | ForwardTarget,
  options: ForwardOptions = {},
): Promise<Forwarder> {
  const from = typeof listenTarget === 'string' ? parseListenTarget(listenTarget) : listenTarget;
  const to = typeof connectTarget === 'string' ? parseForwardTarget(connectTarget) : connectTarget;
  if ((from.kind === 'udp') !== (to.kind === 'udp')) {
    throw new ArgumentError(
      from.kind === 'udp'
        ? `UDP sessions forward to a udp:// target, not ${formatForwardTarget(to)}`
        : `a stream listener forwards to a stream target, not ${formatForwardTarget(to)}`,
    );
  }
  if (to.kind !== 'udp' && to.kind !== 'unix' && to.host === '') {
    throw new ArgumentError(`forward target ${formatForwardTarget(to)} needs a host`);
  }
  if (from.kind === 'udp' && to.kind === 'udp') {
    const { forwardUdp } = await import('./forward-udp.js');
    return forwardUdp(from, to, options);
  }
  const side = await openListenSide(from, options);
  return runForward(side, to, options);
}

/** A listen target also accepts a bare port (all interfaces). */
function parseListenTarget(text: string): ForwardTarget {
  return parseForwardTarget(/^\d+$/.test(text) ? `:${text}` : text);
}

async function openListenSide(from: ForwardTarget, options: ForwardOptions): Promise<AcceptSide> {
  const listenOptions = options.listen ?? {};
  const tls = listenOptions.tls ?? (from.kind !== 'udp' && from.tls ? true : undefined);
  const common: ListenOptions = {
    ...(listenOptions.family !== undefined ? { family: listenOptions.family } : {}),
    ...(listenOptions.backlog !== undefined ? { backlog: listenOptions.backlog } : {}),
    ...(listenOptions.socket ? { socket: listenOptions.socket } : {}),
    ...(listenOptions.reusePort ? { reusePort: true } : {}),
    ...(tls ? { tls } : {}),
    ...(tls && listenOptions.onTlsError ? { onTlsError: listenOptions.onTlsError } : {}),
    // With TLS, refused clients are dropped before the handshake costs anything.
    ...(tls && options.allow ? { allow: options.allow } : {}),
  };
  if (from.kind === 'websocket') {
    const { listenWebSocket } = await import('../transports/websocket-listen.js');
    return listenWebSocket(
      { host: from.host, port: from.port },
      {
        ...common,
        ...listenOptions.websocket,
        messageBoundaries: false,
        ...(from.path !== '/' ? { path: from.path.replace(/\?.*$/, '') } : {}),
      },
    );
  }
  if (from.kind === 'unix') return listen({ path: from.path }, common);
  if (from.kind === 'udp') throw new ArgumentError('internal: UDP has its own forward');
  return listen({ host: from.host, port: from.port }, common);
}

/** Open one connection to the target (TCP, TLS, Unix, WebSocket), as a Tube. */
export async function connectForwardTarget(
  to: ForwardTarget,
  options: ForwardConnectOptions = {},
): Promise<Tube> {
  const tlsOption = options.tls;
  const base: Omit<ConnectOptions, 'tls' | 'tube'> = {
    ...(options.proxy ? { proxy: options.proxy } : {}),
    ...(options.proxyDns ? { proxyDns: options.proxyDns } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.family !== undefined ? { family: options.family } : {}),
    ...(options.socket ? { socket: options.socket } : {}),
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    ...(options.numericOnly !== undefined ? { numericOnly: options.numericOnly } : {}),
  };
  switch (to.kind) {
    case 'websocket': {
      const { connectWebSocket } = await import('../dial/websocket-connect.js');
      const url = `${to.tls ? 'wss' : 'ws'}://${formatHostPort(to.host, to.port)}${to.path}`;
      return connectWebSocket(url, {
        ...base,
        ...options.websocket,
        messageBoundaries: false,
        ...(to.tls && tlsOption ? { tls: tlsOption === true ? {} : tlsOption } : {}),
      });
    }
    case 'unix':
      return connect(
        { path: to.path },
        { ...base, ...(to.tls || tlsOption ? { tls: tlsOption ?? true } : {}) },
      );
    case 'tcp':
      return connect(
        { host: to.host, port: to.port },
        { ...base, ...(to.tls || tlsOption ? { tls: tlsOption ?? true } : {}) },
      );
    case 'udp':
      throw new ArgumentError('a UDP target is forwarded from a UDP listener');
  }
}

function runForward(side: AcceptSide, to: ForwardTarget, options: ForwardOptions): Forwarder {
  const emit = options.onEvent ?? (() => {});
  const targetName = formatForwardTarget(to);
  const relays = new Set<{ done: Promise<void> }>();
  const stopping = new AbortController();
  let nextId = 0;
  let closed = false;
  emit({ type: 'listening', local: side.address() });

  const relay = async (client: Tube, id: number): Promise<void> => {
    const started = performance.now();
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    let upstream: Tube | undefined;
    let attempts = 0;
    try {
      upstream = await withRetry(() => connectForwardTarget(to, options.connect), {
        ...options.retry,
        signal: abort.signal,
        onAttempt: (attempt) => {
          attempts = attempt;
          emit({ type: 'connecting', id, target: targetName, attempt });
        },
        onFailure: (attempt, error, retryIn) =>
          emit({
            type: 'connect-failed',
            id,
            target: targetName,
            attempt,
            error: error as Error,
            retryIn,
          }),
      });
    } catch {
      // connect-failed already told why; the client is reset, so that it sees a failure.
      client.reset();
      emit({
        type: 'closed',
        id,
        toTarget: 0,
        toClient: 0,
        durationMs: Math.round(performance.now() - started),
        reason: 'connect-failed',
      });
      stopping.signal.removeEventListener('abort', onStop);
      return;
    }
    emit({
      type: 'connected',
      id,
      target: targetName,
      attempt: attempts,
      remote: upstream.remote,
      local: upstream.local,
    });
    // The client's bytes that arrived while connecting are still in its tube: toStream() puts
    // them back in front, so the target gets them first.
    const tap = options.tap;
    const result = await splice(client.toStream(), upstream.toStream(), {
      signal: abort.signal,
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
      ...(tap
        ? {
            tap: (direction, chunk) =>
              tap(id, direction === 'aToB' ? 'to-target' : 'to-client', chunk),
          }
        : {}),
      ...(options.onBytes ? { onProgress: options.onBytes } : {}),
      onDataPath: (path) => emit({ type: 'data-path', id, path }),
    });
    stopping.signal.removeEventListener('abort', onStop);
    emit({
      type: 'closed',
      id,
      toTarget: result.aToB,
      toClient: result.bToA,
      durationMs: Math.round(performance.now() - started),
      reason: result.reason,
    });
  };

  const acceptLoop = (async () => {
    for (;;) {
      let client: Tube;
      try {
        client = await side.accept();
      } catch {
        break;
      }
      const remote = client.remote ?? { address: '', port: 0, family: 0 };
      if (options.allow && !options.allow(remote)) {
        client.reset();
        emit({ type: 'denied', remote, reason: 'not-allowed' });
        continue;
      }
      if (options.maxConnections !== undefined && relays.size >= options.maxConnections) {
        client.reset();
        emit({ type: 'denied', remote, reason: 'max-conns' });
        continue;
      }
      const id = ++nextId;
      emit({
        type: 'accepted',
        id,
        remote,
        local: client.local ?? side.address(),
      });
      const entry = { done: Promise.resolve() };
      entry.done = relay(client, id).finally(() => relays.delete(entry));
      relays.add(entry);
      if (options.once) {
        await side.close();
        break;
      }
    }
  })();

  const done = acceptLoop.then(async () => {
    while (relays.size > 0) await Promise.all([...relays].map((entry) => entry.done));
  });
  const close = async () => {
    if (!closed) {
      closed = true;
      stopping.abort();
      await side.close();
    }
    await done;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    address: () => side.address(),
    tls: side.tls,
    get connections() {
      return relays.size;
    },
    done,
    close,
  };
}
