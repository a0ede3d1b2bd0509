import { formatHostPort } from '../../address/host-port.js';
import { type ListenOptions, listen } from '../../transports/tcp-listen.js';
import type { Endpoint } from '../../tube/tube.js';
import { buildHostFilter } from '../access.js';
import type { Context } from '../context.js';
import { peerName, runSession } from './session.js';

/** `sockcat -l [host] [port]`: accept one client, stop listening, relay stdin/stdout with it. */
export async function runListen(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const listenOptions: ListenOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    // ncat's backlog; a one-shot listener has no use for a long queue.
    backlog: 10,
  };
  if (io.signal) listenOptions.signal = io.signal;
  const tls = options.tls ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.serverTlsOptions(ctx);
  if (tls && tlsOptions) {
    listenOptions.tls = tlsOptions;
    // A client whose handshake fails is dropped and the wait goes on (as ncat).
    listenOptions.onTlsError = (error) => tls.reportTlsFailure(ctx, error);
  }
  const filter = await buildHostFilter(options);
  if (tls && filter) {
    // Refused clients are reset before any TLS work.
    listenOptions.allow = (remote) => {
      const allowed = filter.allows(remote.address);
      if (!allowed) {
        log.info(
          1,
          `New connection denied: not allowed (${formatHostPort(remote.address, remote.port)})`,
        );
      }
      return allowed;
    };
  }
  const listener = await listen({ host: options.host ?? '', port: options.port }, listenOptions);
  tls?.reportListenerTls(ctx, listener.tls);
  logListening(ctx, listener.address());
  let tube: Awaited<ReturnType<typeof listener.accept>>;
  try {
    for (;;) {
      tube = await listener.accept(io.signal ? { signal: io.signal } : {});
      if (!filter || filter.allows(tube.remote?.address ?? '')) break;
      // ncat's wording; the refused client is reset at once and the wait goes on.
      log.info(1, `New connection denied: not allowed (${peerName(tube)})`);
      tube.reset();
    }
  } finally {
    await listener.close();
  }
  log.info(1, `Connection from ${peerName(tube)}.`);
  tls?.reportAcceptedTls(ctx, tube);
  await runSession(ctx, tube, 'accepted');
}

/** "Listening on ..." lines; a dual-stack socket (no host given) is reported as both families. */
export function logListening(ctx: Context, bound: Endpoint): void {
  const { options, log } = ctx;
  const addresses =
    options.host === undefined && options.family === 0 && bound.address === '::'
      ? ['::', '0.0.0.0']
      : [bound.address];
  for (const address of addresses) {
    log.info(1, `Listening on ${formatHostPort(address, bound.port)}`);
  }
  ctx.events.emit({
    event: 'listening',
    transport: 'tcp',
    local: { address: bound.address, port: bound.port },
  });
}
