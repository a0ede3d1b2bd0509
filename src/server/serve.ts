import { ArgumentError } from '../errors.js';
import type { DtlsServeOptions, DtlsServer } from './dtls.js';
import { DEFAULT_PROXY_TIMEOUT, serveInline } from './inline.js';
import { handlerModuleUrl } from './load-handler.js';
import type { WorkerConfig } from './messages.js';
import type { ServeOptions, Server } from './types.js';
import { serveUdp, type UdpServeOptions, type UdpServer } from './udp.js';
import { shareOf } from './workers.js';

/**
 * Serve connections with a handler, like Python's socketserver: inline on the event loop, or in
 * worker threads or processes. See docs/library.md ("Servers") and docs/scaling.md.
 */
export function serve(options: DtlsServeOptions): Promise<DtlsServer>;
export function serve(options: UdpServeOptions): Promise<UdpServer>;
export function serve(options: ServeOptions): Promise<Server>;
export async function serve(
  options: ServeOptions | UdpServeOptions | DtlsServeOptions,
): Promise<Server | UdpServer | DtlsServer> {
  if ('protocol' in options && options.protocol === 'udp') {
    // DTLS: a handler per peer session, over the same UDP socket serving (tls/ loads lazily).
    if ('tls' in options && options.tls) {
      return (await import('./dtls.js')).serveDtls(options as DtlsServeOptions);
    }
    return serveUdp(options as UdpServeOptions);
  }
  return serveStream(options as ServeOptions);
}

async function serveStream(options: ServeOptions): Promise<Server> {
  const concurrency = options.concurrency ?? 'inline';
  if (options.maxConnections !== undefined && !(options.maxConnections >= 1)) {
    throw new ArgumentError(`maxConnections must be at least 1, got ${options.maxConnections}`);
  }
  if (concurrency === 'inline') return serveInline(options);
  const [kind, count] =
    'threads' in concurrency
      ? (['threads', concurrency.threads] as const)
      : (['processes', concurrency.processes] as const);
  if (!Number.isInteger(count) || count < 1) {
    throw new ArgumentError(`concurrency.${kind} must be a positive integer, got ${count}`);
  }
  if (typeof options.handler === 'function') {
    throw new ArgumentError(
      `with { ${kind}: n } the handler runs in another ${kind === 'threads' ? 'thread' : 'process'}: pass the URL of a module that exports it (handler: new URL('./handler.js', import.meta.url))`,
    );
  }
  if (options.tls) {
    throw new ArgumentError(`tls runs inline only for now; it cannot be used with { ${kind}: n }`);
  }
  if (options.websocket) {
    throw new ArgumentError(
      `websocket runs inline only for now; it cannot be used with { ${kind}: n }`,
    );
  }
  if (options.socket) {
    throw new ArgumentError(
      `socket options are set inline only for now; they cannot be used with { ${kind}: n }`,
    );
  }
  if (options.allow) {
    throw new ArgumentError(
      `allow is a function and runs inline only; it cannot be used with { ${kind}: n }`,
    );
  }
  const handlerModule = handlerModuleUrl(options.handler);
  const config = (worker: string): WorkerConfig => ({
    handlerModule,
    worker,
    maxConnections: shareOf(options.maxConnections, count),
    overflow: options.overflow ?? 'refuse',
    idleTimeout: options.idleTimeout,
    proxyProtocol: options.proxyProtocol ?? false,
    proxyTimeout: options.proxyTimeout ?? DEFAULT_PROXY_TIMEOUT,
    tube: options.tube ?? {},
  });
  if (kind === 'threads') {
    const { serveThreads } = await import('./threads.js');
    return serveThreads(options, count, config);
  }
  const { serveProcesses } = await import('./processes.js');
  return serveProcesses(options, count, config);
}
