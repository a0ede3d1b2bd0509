import type { Endpoint } from '../address/endpoint.js';
import { ArgumentError } from '../errors.js';
import { listen } from '../transports/tcp-listen.js';
import { Engine, logHandlerError } from './engine.js';
import { handlerModuleUrl, loadHandler } from './load-handler.js';
import type { ServeOptions, Server } from './types.js';

export const DEFAULT_GRACE_PERIOD = 5000;
export const DEFAULT_PROXY_TIMEOUT = 5000;

/** Every handler on this event loop. */
export async function serveInline(options: ServeOptions): Promise<Server> {
  if (options.tls && options.proxyProtocol) {
    // A PROXY header comes before the TLS handshake on the wire; reading it there is not built yet.
    throw new ArgumentError('proxyProtocol cannot be used with tls yet');
  }
  const handler =
    typeof options.handler === 'function'
      ? options.handler
      : await loadHandler(handlerModuleUrl(options.handler));
  const tube = { ...options.tube };
  if (options.idleTimeout !== undefined) tube.idleTimeout = options.idleTimeout;
  const listenOptions = {
    family: options.family ?? 0,
    ...(options.backlog !== undefined ? { backlog: options.backlog } : {}),
    ...(options.socket ? { socket: options.socket } : {}),
    tube,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.onTlsError ? { onTlsError: options.onTlsError } : {}),
    ...(options.handshakes ? { handshakes: options.handshakes } : {}),
    // With TLS, refuse before the handshake (the engine's own check then always passes).
    ...(options.tls && options.allow ? { allow: options.allow } : {}),
  };
  const listener = options.websocket
    ? await (await import('../transports/websocket-listen.js')).listenWebSocket(options.listen, {
        ...listenOptions,
        ...(options.websocket === true ? {} : options.websocket),
      })
    : await listen(options.listen, listenOptions);
  const engine = new Engine(listener, {
    handler,
    maxConnections: options.maxConnections ?? Number.POSITIVE_INFINITY,
    overflow: options.overflow ?? 'refuse',
    proxyProtocol: options.proxyProtocol ?? false,
    proxyTimeout: options.proxyTimeout ?? DEFAULT_PROXY_TIMEOUT,
    worker: 'main',
    allow: options.allow,
    onError: options.onError ?? logHandlerError,
  });
  const address: Endpoint = listener.address();
  let closing: Promise<void> | undefined;
  options.onWorkerReady?.({ worker: 'main', replaced: false });
  return {
    address: () => address,
    tls: listener.tls,
    get connections() {
      return engine.active;
    },
    get handled() {
      return engine.handled;
    },
    close(closeOptions = {}) {
      closing ??= engine.close(
        closeOptions.gracePeriod ?? options.gracePeriod ?? DEFAULT_GRACE_PERIOD,
      );
      return closing;
    },
  };
}
