/**
 * `sockcat -l [-k] PORT --forward TARGET`: the forward io. Each accepted client (TCP, -U, --ssl,
 * --websocket, or -u sessions) is relayed to a new connection to TARGET in this process, with
 * the library's forward(): EOF per direction, -m, --allow/--deny, -i, --retry, --proxy for the
 * target, -o/-x taps (which keep those relays in JavaScript), --progress (a counter, which
 * does not), and -v lines and --json events for each step.
 */
import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import type { ForwardEvent, ForwardOptions } from '../../relay/forward.js';
import { type ForwardTarget, formatForwardTarget } from '../../relay/forward-target.js';
import type { Endpoint } from '../../tube/tube.js';
import { allowOption, buildHostFilter } from '../access.js';
import { monotonicMs } from '../clock.js';
import { reportConnectionLimit } from '../connection-limit.js';
import type { Context } from '../context.js';
import type { Transport } from '../events.js';
import { progressMeterFor } from '../progress.js';
import { formatSeconds, reportConnectFailure } from '../retry.js';
import { serveHost } from './listen.js';
import { logListening } from './listening.js';
import { emitClosed, eventEndpoint, openSessionEvent } from './session.js';
import { webSocketOptions } from './websocket.js';

/** Where the listening side is, as a forward end. */
async function listenSide(ctx: Context): Promise<ForwardTarget> {
  const { options } = ctx;
  if (options.unixSocket) {
    const { prepareUnixListenPath } = await import('../unix-path.js');
    const path = options.host ?? '';
    await prepareUnixListenPath(path, ctx.log);
    return { kind: 'unix', path, tls: false };
  }
  const host = await serveHost(options);
  if (options.udp) return { kind: 'udp', host, port: options.port };
  if (options.websocket?.listen) {
    return {
      kind: 'websocket',
      host,
      port: options.port,
      path: options.websocket.path ?? '/',
      tls: false,
    };
  }
  return { kind: 'tcp', host, port: options.port, tls: false };
}

function transportOf(side: ForwardTarget): Transport {
  switch (side.kind) {
    case 'unix':
      return 'unix';
    case 'udp':
      return 'udp';
    case 'websocket':
      return 'websocket';
    case 'tcp':
      return 'tcp';
  }
}

function name(endpoint: Endpoint | undefined): string {
  if (!endpoint) return 'peer';
  if (endpoint.family === 0) return endpoint.address || 'a Unix socket client';
  return formatHostPort(endpoint.address, endpoint.port);
}

export async function runForward(ctx: Context): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const target = options.forward!;
  const targetName = formatForwardTarget(target);
  const side = await listenSide(ctx);
  const transport = transportOf(side);
  const tls = options.tls ? await import('../tls.js') : undefined;
  const serverTls = tls?.serverTlsOptions(ctx);
  const filter = await buildHostFilter(options);
  const allow = allowOption(ctx, filter).allow;
  const ids = new Map<number, number>();
  const wsTuning = webSocketOptions(ctx);
  const meter = progressMeterFor(options.progress, io.stderr);
  const targetTls =
    target.kind !== 'udp' && target.tls ? { insecure: options.sslInsecure } : undefined;

  const onEvent = (event: ForwardEvent) => {
    switch (event.type) {
      case 'listening':
        logListening(ctx, event.local, transport);
        return;
      case 'denied':
        // --allow/--deny refusals were reported by the filter itself; -m is counted by forward(),
        // which holds the relays (its limit is -m: every relay open holds a place).
        if (event.reason === 'max-conns') {
          reportConnectionLimit(ctx, event.remote, options.maxConns, transport);
        }
        return;
      case 'accepted': {
        const peer = { local: event.local, remote: event.remote };
        ids.set(event.id, openSessionEvent(ctx, peer, 'accepted', transport));
        log.info(1, `Connection from ${name(event.remote)}.`);
        return;
      }
      case 'connecting':
        if (event.attempt > 1)
          log.info(1, `Connecting to ${event.target} (attempt ${event.attempt}).`);
        return;
      case 'connect-failed':
        reportConnectFailure(
          ctx,
          event.target,
          event.attempt,
          event.error,
          event.retryIn,
          ids.get(event.id),
        );
        if (event.retryIn === undefined && event.attempt === 1) log.info(1, event.error.message);
        return;
      case 'data-path':
        log.info(1, `Data path: ${event.path}.`);
        return;
      case 'connected': {
        const remote = eventEndpoint(event.remote);
        const local = eventEndpoint(event.local);
        log.info(
          1,
          `Forwarding to ${event.target}${remote && 'port' in remote ? ` (${formatHostPort(remote.address, remote.port)})` : ''}.`,
        );
        ctx.events.emit({
          event: 'connected-upstream',
          id: ids.get(event.id) ?? event.id,
          target: event.target,
          attempt: event.attempt,
          ...(remote ? { remote } : {}),
          ...(local ? { local } : {}),
        });
        return;
      }
      case 'closed': {
        const id = ids.get(event.id) ?? event.id;
        ids.delete(event.id);
        log.info(
          1,
          `${event.toTarget} bytes to ${targetName}, ${event.toClient} bytes back in ${formatSeconds(event.durationMs)} (${event.reason}).`,
        );
        // The duration forward() measured: the session started that long ago.
        const moved = { sent: event.toClient, received: event.toTarget };
        emitClosed(ctx, id, event.reason, moved, monotonicMs() - event.durationMs);
        return;
      }
    }
  };

  // -k as the plan decided it (multiplicity), not re-read from the options.
  const keepOpen = ctx.plan.multiplicity === 'keep-open';
  const forwardOptions: ForwardOptions = {
    listen: {
      family: options.family,
      backlog: keepOpen ? 511 : 10,
      ...(options.socket ? { socket: options.socket } : {}),
      ...(serverTls && tls
        ? { tls: serverTls, onTlsError: (error: Error) => tls.reportTlsFailure(ctx, error) }
        : {}),
      ...(side.kind === 'websocket' ? { websocket: wsTuning } : {}),
    },
    connect: {
      family: options.family,
      numericOnly: options.numericOnly,
      timeout: options.connectTimeout,
      ...(targetTls ? { tls: targetTls } : {}),
      ...(options.proxy.length > 0 ? { proxy: options.proxy, proxyDns: options.proxyDns } : {}),
      ...(target.kind === 'websocket' ? { websocket: wsTuning } : {}),
    },
    once: !keepOpen,
    ...(keepOpen ? { maxConnections: options.maxConns } : {}),
    ...(allow ? { allow } : {}),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    ...(options.retry
      ? { retry: { retries: options.retry.retries, delay: options.retry.delay } }
      : {}),
    onEvent,
    // -o/-x: one log for every client, each chunk as it is relayed either way, with no direction
    // markers or client ids (as ncat's log).
    ...(sessionLog ? { tap: (_id, _direction, chunk) => sessionLog.record(chunk) } : {}),
    // --progress: every client's bytes together, received from the clients and sent back.
    ...(meter
      ? {
          onBytes: (toTarget, toClient) => {
            meter.received(toTarget);
            meter.sent(toClient);
          },
        }
      : {}),
  };
  const { forward } = await import('../../relay/forward.js');
  const forwarder = await forward(side, target, forwardOptions);
  tls?.reportListenerTls(ctx, forwarder.tls);
  const onAbort = () => void forwarder.close();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  try {
    await forwarder.done;
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    meter?.finish();
  }
  if (io.signal?.aborted) throw new AbortError('interrupted', { op: 'accept' });
}
