import type { Endpoint } from '../../address/endpoint.js';
import { formatHostPort } from '../../address/host-port.js';
import type { Context } from '../context.js';
import type { Transport } from '../events.js';

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
