import { AbortError } from '../../errors.js';
import { isBrokenPipe, writeChunk } from '../../relay/stream-io.js';
import { createTelnetParser } from '../../relay/telnet.js';
import { serve } from '../../server/serve.js';
import type { ConnectionInfo } from '../../server/types.js';
import type { TargetInput } from '../../transports/target.js';
import type { Tube } from '../../tube/tube.js';
import { allowOption, buildHostFilter } from '../access.js';
import { monotonicMs } from '../clock.js';
import { ConnectionLimit } from '../connection-limit.js';
import type { Context } from '../context.js';
import { closeReasonOf, type Transport } from '../events.js';
import { progressMeterFor } from '../progress.js';
import { clientName, listenTarget, serveHost } from './listen.js';
import { logListening } from './listening.js';
import { emitTubeClosed, openSessionEvent } from './session.js';
import { fanOutStdin } from './stdin-fan-out.js';
import { answerTelnet } from './telnet-answer.js';
import { serveWebSocketOptions, watchWebSocketClose } from './websocket.js';

/**
 * `sockcat -l -k`: accept clients until interrupted, at most -m at once. What any client sends
 * goes to stdout; stdin goes to every connected client; at stdin EOF every connected client gets
 * FIN (unless --no-shutdown), and sockcat keeps serving. Built on the public serve().
 */
export async function runKeepOpen(ctx: Context): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  // A host is resolved here for -n (serve() has no such option); serve() then binds the literal.
  // Without one, serve() picks the wildcard itself (IPv6 only under -6).
  const target: TargetInput =
    ctx.plan.transport === 'unix'
      ? await listenTarget(ctx)
      : {
          host: await serveHost(options),
          port: options.port,
        };
  const filter = await buildHostFilter(options);
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  const clients = new Set<Tube>();
  // One meter for the whole run: every client's bytes together.
  const meter = progressMeterFor(options.progress, io.stderr);
  type StopReason = 'stdout-closed' | 'aborted' | 'quit-after-eof';
  let stopRun!: (reason: StopReason) => void;
  /** Why the run is ending, once it is: the reason the sessions it closes end with. */
  let stopping: StopReason | undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    stopRun = (reason) => {
      stopping ??= reason;
      resolve(reason);
    };
  });
  const limit = new ConnectionLimit(ctx, sessionTransport(ctx));

  /** One client let in by -m: its command, or its bytes to stdout (stdin reaches it by fan-out). */
  const serveClient = async (tube: Tube, info: ConnectionInfo): Promise<void> => {
    log.info(1, `Connection from ${clientName(tube)}.`);
    watchWebSocketClose(ctx, tube);
    tls?.reportAcceptedTls(ctx, tube);
    if (exec) {
      await exec.session(tube, 'accepted', { signal: info.signal, keepOpen: true });
      return;
    }
    const started = monotonicMs();
    const id = openSessionEvent(ctx, tube, 'accepted');
    let reason = 'peer-eof';
    clients.add(tube);
    const telnet = options.telnet ? createTelnetParser() : undefined;
    try {
      for await (const chunk of tube) {
        sessionLog?.record(chunk);
        meter?.received(chunk.length);
        const data = await answerTelnet(telnet, chunk, tube, sessionLog);
        if (!options.sendOnly && data.length > 0) await writeChunk(io.stdout, data);
      }
    } catch (error) {
      reason = closeReasonOf(error);
      if (isBrokenPipe(error)) {
        reason = 'stdout-closed';
        stopRun('stdout-closed');
      } else if (stopping !== undefined) {
        // The run's end (-q, an interrupt) closed this client: that is why it ended.
        reason = stopping;
      } else throw error;
    } finally {
      clients.delete(tube);
      emitTubeClosed(ctx, id, reason, tube, started);
    }
  };

  const server = await serve({
    ...(ctx.options.socket ? { socket: ctx.options.socket } : {}),
    listen: target,
    family: options.family,
    ...allowOption(ctx, filter),
    // An exec session keeps its own idle timer (the child is ended with the connection).
    ...(options.idleTimeout !== undefined && !exec ? { idleTimeout: options.idleTimeout } : {}),
    ...tls?.serveTlsOptions(ctx),
    ...serveWebSocketOptions(ctx),
    handler: async (tube, info) => {
      // -m, as ncat: accepted, then closed with FIN; the handler's return closes it.
      if (!limit.tryEnter(tube.remote)) return;
      try {
        await serveClient(tube, info);
      } finally {
        limit.leave();
      }
    },
    onError: (error) => log.info(1, error.message),
  });
  tls?.reportListenerTls(ctx, server.tls);
  logListening(ctx, server.address(), ctx.plan.transport === 'websocket' ? 'websocket' : 'tcp');
  exec?.listening(server.address());

  // With -e/-c/--js-exec stdin is not read (as ncat).
  const input = exec
    ? undefined
    : fanOutStdin(ctx, {
        deliver: async (chunk) => {
          sessionLog?.record(chunk);
          meter?.sent(chunk.length * clients.size);
          await Promise.all([...clients].map((tube) => tube.send(chunk).catch(() => {})));
        },
        // Clients connected now get FIN; later ones get nothing more (as ncat).
        ended: () => {
          if (options.noShutdown) return;
          for (const tube of clients) tube.shutdown('send').catch(() => {});
        },
        quit: () => stopRun('quit-after-eof'),
      });

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const reason = await stopped;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  meter?.finish();
  // For a Unix socket this also removes the socket file.
  await server.close({ gracePeriod: 0 });
  if (reason === 'aborted') throw new AbortError('interrupted', { op: 'accept' });
}

/** The transport a -l -k client's events name. */
function sessionTransport(ctx: Context): Transport {
  if (ctx.plan.transport === 'unix' || ctx.plan.transport === 'websocket')
    return ctx.plan.transport;
  return 'tcp';
}
