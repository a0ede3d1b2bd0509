import { resolveListenAddress } from '../../address/resolve.js';
import { AbortError } from '../../errors.js';
import type { TargetInput } from '../../transports/target.js';
import { type ListenerTls, type ListenOptions, listen } from '../../transports/tcp-listen.js';
import type { WebSocketTube } from '../../transports/websocket-tube.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { allowOption, buildHostFilter, reportDenied } from '../access.js';
import type { Context } from '../context.js';
import { prepareUnixListenPath } from '../unix-path.js';
import { logListening } from './listening.js';
import { peerName, runSession } from './session.js';

/**
 * What the one-client acceptor listens with: TCP or a Unix stream socket (plain or TLS), a
 * WebSocket listener on either, or a Unix seqpacket socket. Every one hands out Tubes.
 */
interface OneClientListener {
  accept(options: { signal?: AbortSignal }): Promise<Tube>;
  close(): Promise<void>;
  address(): Endpoint;
  readonly tls?: ListenerTls | undefined;
}

type Filter = Awaited<ReturnType<typeof buildHostFilter>>;
type TlsLayer = typeof import('../tls.js');

/**
 * `sockcat -l [host] [port]` over every stream transport (tcp, unix, websocket, seqpacket):
 * accept one client, stop listening, then relay stdin/stdout with it or run -e/-c/--js-exec/
 * --lua-exec for it. The -l -k, --broker and --chat servers are serve()'s (keep-open.ts,
 * broker.ts); nc's sequential -k is this loop, serving one client after another.
 */
export async function runListen(ctx: Context): Promise<void> {
  const { options, log } = ctx;
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  // Sequential -k (nc.openbsd): the listener stays open and serves one client after another.
  const sequential = ctx.plan.multiplicity === 'keep-open' && options.keepOpenSequential;
  const filter = await buildHostFilter(options);
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const websocket = ctx.plan.transport === 'websocket' ? await import('./websocket.js') : undefined;
  // -e (and nc's -k) run TLS handshakes side by side, so that one client stuck in its handshake
  // never stalls the others, and one that fails is dropped while the wait goes on (as ncat).
  // Otherwise (as ncat's -l) the first client to connect is the one, and its failed handshake
  // ends the run.
  const listener = await openListener(ctx, filter, tls, !(options.exec || sequential));
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
      websocket?.watchWebSocketClose(ctx, tube);
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

/** The plan's transport, listening where -l says, with TLS when the plan has it. */
async function openListener(
  ctx: Context,
  filter: Filter,
  tls: TlsLayer | undefined,
  singleClient: boolean,
): Promise<OneClientListener> {
  const { options, io, log } = ctx;
  if (ctx.plan.transport === 'seqpacket') return openSeqpacket(ctx);
  const listenOptions: ListenOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    // ncat's backlog; a one-shot listener has no use for a long queue.
    backlog: 10,
  };
  if (io.signal) listenOptions.signal = io.signal;
  if (options.socket) listenOptions.socket = options.socket;
  const tlsOptions = tls?.serverTlsOptions(ctx);
  if (tls && tlsOptions) {
    listenOptions.tls = tlsOptions;
    // Over WebSocket the one client's failed upgrade ends the run too.
    if (singleClient) listenOptions.tlsSingleClient = true;
    else listenOptions.onTlsError = (error) => tls.reportTlsFailure(ctx, error);
    // With TLS, refused clients are reset before any TLS work.
    Object.assign(listenOptions, allowOption(ctx, filter));
  }
  const target = await listenTarget(ctx);
  if (ctx.plan.transport !== 'websocket') return listen(target, listenOptions);
  const { listenWebSocket } = await import('../../transports/websocket-listen.js');
  const { webSocketOptions } = await import('./websocket.js');
  const path = options.websocket?.path;
  return listenWebSocket(target, {
    ...listenOptions,
    ...webSocketOptions(ctx),
    ...(path !== undefined ? { path } : {}),
    onHandshakeError: (error) => log.info(1, error.message),
  });
}

/** `-l -U --seqpacket PATH`: a SOCK_SEQPACKET listener whose clients are relayed as Tubes. */
async function openSeqpacket(ctx: Context): Promise<OneClientListener> {
  const path = ctx.options.host ?? '';
  await prepareUnixListenPath(path, ctx.log, 'seqpacket');
  const { listenSeqpacket } = await import('../../transports/seqpacket.js');
  const { seqpacketTube } = await import('./seqpacket.js');
  const listener = await listenSeqpacket(path, { backlog: 10 });
  const bound = { address: path, port: 0, family: 0 as const };
  return {
    accept: async (options) => seqpacketTube(await listener.accept(options), path, 'local'),
    close: async () => listener.close(),
    address: () => bound,
  };
}

/** The next client that --allow/--deny let in; refused ones are reset and reported. */
export async function acceptAllowed(
  ctx: Context,
  listener: Pick<OneClientListener, 'accept'>,
  filter: Filter,
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
  if (options.dialect !== 'openbsd') {
    return logListening(ctx, bound, ctx.plan.transport === 'websocket' ? 'websocket' : 'tcp');
  }
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
    const url = (tube as Partial<WebSocketTube>).url;
    log.info(1, `Connection from ${clientName(tube)}${url ? ` (WebSocket ${url})` : ''}.`);
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
  if (tube.network === 'unix' || tube.network === 'unixpacket') {
    return 'a client on Unix domain socket';
  }
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
