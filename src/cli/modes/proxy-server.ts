import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import { createHttpProxyHandler } from '../../proxy/http-proxy-server.js';
import type {
  ClientBytes,
  ProxyServerOptions,
  TunnelEnd,
} from '../../proxy/proxy-server-options.js';
import { createSocks5Handler } from '../../proxy/socks5-server.js';
import { serve } from '../../server/serve.js';
import { HandshakeGate } from '../../transports/handshake-gate.js';
import { allowOption, buildHostFilter } from '../access.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';
import { closeReasonOf } from '../events.js';
import { serveHost } from './listen.js';
import { logListening } from './listening.js';
import { emitClosed, openSessionEvent, peerName } from './session.js';

/**
 * `sockcat -l --proxy-type http|socks5`: a proxy server (ncat's HTTP one, and a SOCKS5 one ncat
 * lacks) on the public serve(): clients until interrupted, at most -m tunnels at once (handshakes
 * in progress bounded apart by a HandshakeGate), --allow/--deny on clients, --proxy-auth
 * required of them, every handshake bounded by -w (default 10 s). Standard input is not read.
 */
export async function runProxyServer(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const host = await serveHost(options);
  const filter = await buildHostFilter(options);
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  const tunnelEnds = new Map<string, { bytes: ClientBytes; ended: TunnelEnd }>();
  const handlerOptions: ProxyServerOptions = {
    handshakeTimeout: options.connectTimeout,
    connectTimeout: options.connectTimeout,
    family: options.family,
    log: (message) => log.info(1, message),
    ...(options.proxyServerAuth ? { auth: options.proxyServerAuth } : {}),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    // -m counts tunnels; clients still in their handshake are bounded apart (issue 17 item 2),
    // so a flood of idle connections cannot take the places of clients that speak.
    maxTunnels: options.maxConns,
    handshakes: new HandshakeGate(),
    // The tube stops counting when the tunnel takes its socket over: the tunnel's bytes come here,
    // with how it ended (-i closing an idle tunnel is the session's `idle-timeout`, a reset `reset`).
    onTunnelEnd: (tunnel, bytes, ended) => tunnelEnds.set(tunnel.client, { bytes, ended }),
  };
  const proxyHandler =
    options.proxyServer === 'socks5'
      ? createSocks5Handler(handlerOptions)
      : createHttpProxyHandler(handlerOptions);

  const server = await serve({
    ...(ctx.options.socket ? { socket: ctx.options.socket } : {}),
    listen: { host, port: options.port },
    family: options.family,
    ...allowOption(ctx, filter),
    // --ssl: a TLS-wrapped proxy server (clients speak HTTP or SOCKS inside TLS).
    ...tls?.serveTlsOptions(ctx),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    handler: async (tube, info) => {
      log.info(1, `Connection from ${peerName(tube)}.`);
      tls?.reportAcceptedTls(ctx, tube);
      const started = monotonicMs();
      const id = openSessionEvent(ctx, tube, 'accepted');
      let reason = 'peer-eof';
      try {
        await proxyHandler(tube, info);
      } catch (error) {
        reason = closeReasonOf(error);
        throw error;
      } finally {
        const tunnel = tunnelEnds.get(tube.peerName);
        tunnelEnds.delete(tube.peerName);
        // How the tunnel ended is the session's reason (idle-timeout, reset, aborted); `done`
        // is both directions ending, which the handler's return already says.
        if (tunnel !== undefined && tunnel.ended !== 'done') reason = tunnel.ended;
        emitClosed(
          ctx,
          id,
          reason,
          tunnel?.bytes ?? { sent: tube.bytesSent, received: tube.bytesReceived },
          started,
        );
      }
    },
    onError: (error) => log.info(1, error.message),
  });
  tls?.reportListenerTls(ctx, server.tls);
  logListening(ctx, server.address());
  const bound = server.address().address;
  const loopback = /^127\./.test(bound) || bound === '::1' || bound === '::ffff:127.0.0.1';
  if (!loopback && !filter && !options.proxyServerAuth) {
    // An open proxy reachable from the network relays for anyone: say so once, whatever -v.
    log.error(
      `warning: open ${options.proxyServer} proxy on ${formatHostPort(bound, server.address().port)}: anyone who can reach it can use it (restrict with --allow or --proxy-auth)`,
    );
  }

  await new Promise<void>((resolve) => {
    if (!io.signal) return;
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close({ gracePeriod: 0 });
  throw new AbortError('interrupted', { op: 'accept' });
}
