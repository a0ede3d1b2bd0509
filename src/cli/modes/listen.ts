import { resolveListenAddress } from '../../address/resolve.js';
import { AbortError } from '../../errors.js';
import type { TargetInput } from '../../transports/target.js';
import { type Listener, type ListenOptions, listen } from '../../transports/tcp-listen.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { allowOption, buildHostFilter, reportDenied } from '../access.js';
import type { Context } from '../context.js';
import { prepareUnixListenPath } from '../unix-path.js';
import { logListening } from './listening.js';
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
  if (options.socket) listenOptions.socket = options.socket;
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.serverTlsOptions(ctx);
  // Sequential -k (nc.openbsd): the listener stays open and serves one client after another.
  const sequential = ctx.plan.multiplicity === 'keep-open' && options.keepOpenSequential;
  if (tls && tlsOptions) {
    listenOptions.tls = tlsOptions;
    if (options.exec || sequential) {
      // -e (and nc's -k): handshakes run side by side, so that one client stuck in its handshake
      // never stalls the others; one that fails is dropped and the wait goes on (as ncat).
      listenOptions.onTlsError = (error) => tls.reportTlsFailure(ctx, error);
    } else {
      // -l without -k (as ncat): the first client to connect is the one, and its failed
      // handshake ends the run.
      listenOptions.tlsSingleClient = true;
    }
  }
  const filter = await buildHostFilter(options);
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  // With TLS, refused clients are reset before any TLS work.
  if (tls) Object.assign(listenOptions, allowOption(ctx, filter));
  const listener = await listen(await listenTarget(ctx), listenOptions);
  tls?.reportListenerTls(ctx, listener.tls);
  await reportListening(ctx, listener.address());
  exec?.listening(listener.address());
  try {
    for (;;) {
      const tube = await acceptAllowed(ctx, listener, filter);
      // ncat stops listening once its one client is in (for a Unix socket, the file goes too).
      if (!sequential) await listener.close();
      await logAccepted(ctx, tube);
      tls?.reportAcceptedTls(ctx, tube);
      if (!sequential) {
        if (exec) await exec.session(tube, 'accepted');
        else await runSession(ctx, tube, 'accepted');
        return;
      }
      try {
        await runSession(ctx, tube, 'accepted');
      } catch (error) {
        // One client's reset or timeout does not stop the server; an interrupt does.
        if (error instanceof AbortError) throw error;
        log.info(1, error instanceof Error ? error.message : String(error));
      }
    }
  } finally {
    await listener.close();
  }
}

/** The next client that --allow/--deny let in; refused ones are reset and reported. */
export async function acceptAllowed(
  ctx: Context,
  listener: Pick<Listener, 'accept'>,
  filter: Awaited<ReturnType<typeof buildHostFilter>>,
): Promise<Tube> {
  const { io } = ctx;
  for (;;) {
    const tube = await listener.accept(io.signal ? { signal: io.signal } : {});
    if (!filter || filter.allows(tube.remote?.address ?? '')) return tube;
    // The refused client is reset at once and the wait goes on.
    if (tube.remote) reportDenied(ctx, tube.remote);
    tube.reset();
  }
}

/** "Listening on": ncat's lines, or nc's (the address reverse-resolved unless -n). */
async function reportListening(ctx: Context, bound: Endpoint): Promise<void> {
  const { options, log } = ctx;
  if (options.dialect !== 'openbsd') return logListening(ctx, bound);
  ctx.events.emit({
    event: 'listening',
    transport: 'tcp',
    local: { address: bound.address, port: bound.port },
  });
  if (log.verbosity < 1) return;
  const { peerHostName } = await import('../openbsd-wording.js');
  const name = await peerHostName(bound.address, bound.port, options.numericOnly);
  log.bare(1, `Listening on ${name} ${bound.port}`);
}

/** "Connection from": ncat's line, or nc's "Connection received on" (reverse-resolved). */
async function logAccepted(ctx: Context, tube: Tube): Promise<void> {
  const { options, log } = ctx;
  if (log.verbosity < 1) return;
  if (options.dialect !== 'openbsd') {
    log.info(1, `Connection from ${clientName(tube)}.`);
    return;
  }
  const { peerHostName } = await import('../openbsd-wording.js');
  const remote = tube.remote ?? { address: '', port: 0 };
  const name = await peerHostName(remote.address, remote.port, options.numericOnly);
  log.bare(1, `Connection received on ${name} ${remote.port}`);
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

/**
 * The host a serve()-based mode binds: the -l address resolved here (for -n, which serve() has
 * no option for), or '' for the wildcard, which serve() picks itself (IPv6 only under -6).
 */
export async function serveHost(options: Context['options']): Promise<string> {
  if (options.host === undefined) return '';
  const { address } = await resolveListenAddress(options.host, {
    family: options.family,
    numericOnly: options.numericOnly,
  });
  return address;
}
