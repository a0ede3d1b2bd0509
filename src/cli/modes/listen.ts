import { formatHostPort } from '../../address/host-port.js';
import type { TargetInput } from '../../transports/target.js';
import { type ListenOptions, listen } from '../../transports/tcp-listen.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { buildHostFilter } from '../access.js';
import type { Context } from '../context.js';
import type { Transport } from '../events.js';
import { prepareUnixListenPath } from '../unix-path.js';
import { eventEndpoint, peerName, runSession } from './session.js';

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
  if (options.socket) listenOptions.socket = options.socket;
  const tls = options.tls ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.serverTlsOptions(ctx);
  if (tls && tlsOptions) {
    listenOptions.tls = tlsOptions;
    // A client whose handshake fails is dropped and the wait goes on (as ncat).
    listenOptions.onTlsError = (error) => tls.reportTlsFailure(ctx, error);
  }
  const filter = await buildHostFilter(options);
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
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
  const listener = await listen(await listenTarget(ctx), listenOptions);
  tls?.reportListenerTls(ctx, listener.tls);
  logListening(ctx, listener.address());
  exec?.listening(listener.address());
  let tube: Awaited<ReturnType<typeof listener.accept>>;
  try {
    for (;;) {
      tube = await listener.accept(io.signal ? { signal: io.signal } : {});
      if (!filter || filter.allows(tube.remote?.address ?? '')) break;
      // ncat's wording; the refused client is reset at once and the wait goes on.
      log.info(1, `New connection denied: not allowed (${peerName(tube)})`);
      const remote = eventEndpoint(tube.remote);
      if (remote)
        ctx.events.emit({ event: 'denied', transport: 'tcp', remote, reason: 'not-allowed' });
      tube.reset();
    }
  } finally {
    // For a Unix socket this also removes the socket file.
    await listener.close();
  }
  log.info(1, `Connection from ${clientName(tube)}.`);
  tls?.reportAcceptedTls(ctx, tube);
  if (exec) await exec.session(tube, 'accepted');
  else await runSession(ctx, tube, 'accepted');
}

/**
 * Where -l listens: the socket path with -U (made ready by prepareUnixListenPath), else host and
 * port as given.
 */
export async function listenTarget(ctx: Context): Promise<TargetInput> {
  const { options, log } = ctx;
  if (options.unixSocket) {
    const path = options.host ?? '';
    await prepareUnixListenPath(path, log);
    return { path };
  }
  return { host: options.host ?? '', port: options.port };
}

/** An accepted client as "Connection from ..." names it; Unix clients have no name (ncat's words). */
export function clientName(tube: Tube): string {
  if (tube.network === 'unix') return 'a client on Unix domain socket';
  return peerName(tube);
}

/** The addresses a listener serves: a dual-stack socket (no host given) is both families. */
export function listeningAddresses(ctx: Context, bound: Endpoint): string[] {
  const { options } = ctx;
  if (options.unixSocket) return [bound.address];
  return options.host === undefined && options.family === 0 && bound.address === '::'
    ? ['::', '0.0.0.0']
    : [bound.address];
}

/** "Listening on ..." lines, one per address family served. */
export function logListening(ctx: Context, bound: Endpoint, transport: Transport = 'tcp'): void {
  const { options, log } = ctx;
  if (options.unixSocket) {
    log.info(1, `Listening on ${bound.address}`);
    ctx.events.emit({ event: 'listening', transport: 'unix', local: { path: bound.address } });
    return;
  }
  for (const address of listeningAddresses(ctx, bound)) {
    log.info(1, `Listening on ${formatHostPort(address, bound.port)}`);
  }
  ctx.events.emit({
    event: 'listening',
    transport,
    local: { address: bound.address, port: bound.port },
  });
}
