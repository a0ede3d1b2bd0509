import { formatHostPort } from '../../address/host-port.js';
import { AbortError } from '../../errors.js';
import { type ListenOptions, listen } from '../../transports/tcp-listen.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
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
  const filter = await buildHostFilter(options);
  const listener = await listen({ host: options.host ?? '', port: options.port }, listenOptions);
  if (options.dialect === 'openbsd') {
    // nc's words; the address is reverse-resolved unless -n ("Listening on localhost 4444").
    const bound = listener.address();
    ctx.events.emit({
      event: 'listening',
      transport: 'tcp',
      local: { address: bound.address, port: bound.port },
    });
    if (log.verbosity >= 1) {
      const { peerHostName } = await import('../openbsd-wording.js');
      const name = await peerHostName(bound.address, bound.port, options.numericOnly);
      log.bare(1, `Listening on ${name} ${bound.port}`);
    }
  } else logListening(ctx, listener.address());
  // Sequential -k (nc.openbsd): the listener stays open and serves one client after another.
  const sequential = options.keepOpen && options.keepOpenSequential;
  try {
    for (;;) {
      let tube: Awaited<ReturnType<typeof listener.accept>>;
      for (;;) {
        tube = await listener.accept(io.signal ? { signal: io.signal } : {});
        if (!filter || filter.allows(tube.remote?.address ?? '')) break;
        // ncat's wording; the refused client is reset at once and the wait goes on.
        log.info(1, `New connection denied: not allowed (${peerName(tube)})`);
        tube.reset();
      }
      if (!sequential) await listener.close();
      await logAccepted(ctx, tube);
      if (!sequential) {
        await runSession(ctx, tube, 'accepted');
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

async function logAccepted(ctx: Context, tube: Tube): Promise<void> {
  const { options, log } = ctx;
  if (options.tos !== undefined) {
    const { applyTos } = await import('../tos.js');
    try {
      applyTos(tube, options.tos);
    } catch (error) {
      tube.destroy();
      throw error;
    }
  }
  if (log.verbosity < 1) return;
  if (options.dialect !== 'openbsd') {
    log.info(1, `Connection from ${peerName(tube)}.`);
    return;
  }
  const { peerHostName } = await import('../openbsd-wording.js');
  const remote = tube.remote ?? { address: '', port: 0 };
  const name = await peerHostName(remote.address, remote.port, options.numericOnly);
  log.bare(1, `Connection received on ${name} ${remote.port}`);
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
