import type { Endpoint } from '../../address/endpoint.js';
import { serve } from '../../server/serve.js';
import { listenUdp, MAX_UDP_PAYLOAD } from '../../transports/udp.js';
import { buildHostFilter, reportDenied } from '../access.js';
import type { Context } from '../context.js';
import { runDatagramKeepOpen } from './datagram-keep-open.js';
import { serveHost } from './listen.js';
import { logListening } from './listening.js';
import { peerName } from './session.js';
import { runUdpSession } from './udp-session.js';

/**
 * `sockcat -u -l [host] port`: wait for the first datagram, then talk with its sender only (the
 * socket is connected to it, so the kernel refuses everyone else, as with ncat). With -k: many
 * peers, see runUdpKeepOpen.
 */
export async function runUdpListen(ctx: Context): Promise<void> {
  if (ctx.plan.security === 'dtls') {
    const dtls = await import('./dtls-listen.js');
    return ctx.plan.multiplicity === 'keep-open'
      ? dtls.runDtlsKeepOpen(ctx)
      : dtls.runDtlsListen(ctx);
  }
  if (ctx.plan.multiplicity === 'keep-open') return runUdpKeepOpen(ctx);
  const { options, io, log } = ctx;
  const filter = await buildHostFilter(options);
  // -e/-c/--js-exec: a module is loaded (and may fail, exit 2) before anything is bound.
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const listener = await listenUdp(
    { host: options.host ?? '', port: options.port },
    { family: options.family, numericOnly: options.numericOnly },
  );
  logListening(ctx, listener.address(), 'udp');
  exec?.listening(listener.address());
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
  if (exec) {
    const { datagramTube } = await import('./datagram-tube.js');
    await exec.session(datagramTube(connection, 'udp'), 'accepted');
    return;
  }
  await runUdpSession(ctx, connection, 'accepted');
}

/** Log and report a sender refused by --allow/--deny; returns `allowed`. */
function admit(ctx: Context, remote: Endpoint, allowed: boolean): boolean {
  if (allowed) return true;
  reportDenied(ctx, remote, { transport: 'udp' });
  return false;
}

/**
 * `sockcat -u -l -k`: one socket, one session per peer (source address and port), each with its
 * own command under -e/-c/--js-exec/--lua-exec; see runDatagramKeepOpen. Built on the public
 * serve().
 */
export async function runUdpKeepOpen(ctx: Context): Promise<void> {
  const { options, log } = ctx;
  // Resolved here for -n (serve() has no such option); without a host serve() picks the wildcard.
  const host = await serveHost(options);
  const filter = await buildHostFilter(options);
  await runDatagramKeepOpen(ctx, {
    transport: 'udp',
    allows: filter ? (remote) => filter.allows(remote.address) : undefined,
    open: async ({ deliver }) => {
      const server = await serve({
        protocol: 'udp',
        listen: { host, port: options.port },
        family: options.family,
        handler: (datagram) =>
          deliver(datagram.data, {
            key: `${datagram.remote.address}|${datagram.remote.port}`,
            remote: datagram.remote,
            local: datagram.local,
            reply: datagram.reply,
          }),
        onError: (error) => log.info(1, error.message),
      });
      logListening(ctx, server.address(), 'udp');
      return {
        maxDatagram: MAX_UDP_PAYLOAD[server.address().family === 6 ? 6 : 4],
        bound: server.address(),
        close: () => server.close(),
      };
    },
  });
}
