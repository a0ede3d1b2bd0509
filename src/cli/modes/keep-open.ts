import { formatHostPort } from '../../address/host-port.js';
import { resolveListenAddress } from '../../address/resolve.js';
import { AbortError, SockcatError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { isBrokenPipe, pump, writeChunk } from '../../relay/stream-io.js';
import { serve } from '../../server/serve.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { buildHostFilter } from '../access.js';
import type { Context } from '../context.js';
import { logListening } from './listen.js';
import { openSessionEvent, peerName } from './session.js';

/**
 * `sockcat -l -k`: accept clients until interrupted, at most -m at once. What any client sends
 * goes to stdout; stdin goes to every connected client; at stdin EOF every connected client gets
 * FIN (unless --no-shutdown), and sockcat keeps serving. Built on the public serve().
 */
export async function runKeepOpen(ctx: Context): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  // A host is resolved here for -n (serve() has no such option); serve() then binds the literal.
  // Without one, serve() picks the wildcard itself (IPv6 only under -6).
  const host =
    options.host === undefined
      ? ''
      : (
          await resolveListenAddress(options.host, {
            family: options.family,
            numericOnly: options.numericOnly,
          })
        ).address;
  const filter = await buildHostFilter(options);
  const tls = options.tls ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.serverTlsOptions(ctx);
  const clients = new Set<Tube>();
  let stopRun!: (reason: 'stdout-closed' | 'aborted') => void;
  const stopped = new Promise<'stdout-closed' | 'aborted'>((resolve) => {
    stopRun = resolve;
  });

  const server = await serve({
    listen: { host, port: options.port },
    family: options.family,
    maxConnections: options.maxConns,
    ...(filter
      ? {
          allow: (remote: Endpoint) => {
            const allowed = filter.allows(remote.address);
            if (!allowed)
              log.info(
                1,
                `New connection denied: not allowed (${formatHostPort(remote.address, remote.port)})`,
              );
            return allowed;
          },
        }
      : {}),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    ...(tls && tlsOptions
      ? { tls: tlsOptions, onTlsError: (error: Error) => tls.reportTlsFailure(ctx, error) }
      : {}),
    handler: async (tube) => {
      log.info(1, `Connection from ${peerName(tube)}.`);
      tls?.reportAcceptedTls(ctx, tube);
      const started = performance.now();
      const id = openSessionEvent(ctx, tube, 'accepted');
      let reason = 'peer-eof';
      clients.add(tube);
      try {
        for await (const chunk of tube) {
          sessionLog?.record(chunk);
          if (!options.sendOnly) await writeChunk(io.stdout, chunk);
        }
      } catch (error) {
        reason = error instanceof SockcatError ? error.code : 'error';
        if (isBrokenPipe(error)) {
          reason = 'stdout-closed';
          stopRun('stdout-closed');
        } else throw error;
      } finally {
        clients.delete(tube);
        ctx.events.emit({
          event: 'closed',
          id,
          reason,
          sent: tube.bytesSent,
          received: tube.bytesReceived,
          durationMs: Math.round(performance.now() - started),
        });
      }
    },
    onError: (error) => log.info(1, error.message),
  });
  tls?.reportListenerTls(ctx, server.tls);
  logListening(ctx, server.address());

  let input: ReturnType<typeof pump> | undefined;
  if (!options.recvOnly) {
    const encode = options.crlf ? createCrlfEncoder() : undefined;
    input = pump(io.stdin, async (read) => {
      const chunk = encode ? encode(read) : read;
      sessionLog?.record(chunk);
      await Promise.all([...clients].map((tube) => tube.send(chunk).catch(() => {})));
      if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
    });
    input.done.then(
      () => {
        // Clients connected now get FIN; later ones get nothing more (as ncat).
        if (options.noShutdown) return;
        for (const tube of clients) tube.shutdown('send').catch(() => {});
      },
      () => {},
    );
  }

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const reason = await stopped;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  await server.close({ gracePeriod: 0 });
  if (reason === 'aborted') throw new AbortError('interrupted', { op: 'accept' });
}
