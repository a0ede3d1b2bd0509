import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { formatHostPort } from '../address/host-port.js';
import {
  AbortError,
  ArgumentError,
  type ErrorContext,
  TimeoutError,
  WebSocketError,
} from '../errors.js';
import type { TlsClientOptions } from '../tls/options.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT,
  type WebSocketOptions,
  WebSocketTube,
} from '../transports/websocket-tube.js';
import { parseWebSocketUrl } from '../transports/websocket-url.js';
import { type ConnectOptions, connect } from './connect.js';

export interface WebSocketConnectOptions
  extends WebSocketOptions,
    Omit<ConnectOptions, 'tube' | 'tls'> {
  /**
   * TLS for wss:// URLs. The server's certificate and name are verified by default, as browsers
   * do; `insecure: true` turns that off. Ignored for ws:// (an error, rather: see below).
   */
  tls?: TlsClientOptions;
  /** Extra request headers of the upgrade request. */
  headers?: Record<string, string>;
  /** Subprotocols offered (Sec-WebSocket-Protocol), most preferred first. */
  protocols?: string[];
  /** The Origin header. Default: none. */
  origin?: string;
  /** Milliseconds for the upgrade request and its answer. Default 10000. */
  handshakeTimeout?: number;
}

/**
 * Open a WebSocket (ws:// or wss://) and return a WebSocketTube. The TCP connection is made as
 * connect() makes it (happy eyeballs, `proxy` chains, socket options); wss:// then runs TLS with
 * verification on. See docs/library.md ("WebSocket").
 */
export async function connectWebSocket(
  input: string | URL,
  options: WebSocketConnectOptions = {},
): Promise<WebSocketTube> {
  const url = parseWebSocketUrl(input);
  if (options.tls && !url.secure) {
    throw new ArgumentError(`TLS options given for ${url.href}: use a wss:// URL`);
  }
  const {
    tls,
    headers,
    protocols,
    origin,
    handshakeTimeout,
    maxMessageSize,
    pingInterval,
    text,
    lines,
    messageBoundaries,
    tube: tubeOptions,
    ...connectOptions
  } = options;
  const name = formatHostPort(url.host, url.port);
  const context: ErrorContext = {
    op: 'connect',
    network: 'tcp',
    address: url.host,
    port: url.port,
  };
  const tcp = await connect(
    { host: url.host, port: url.port },
    {
      ...connectOptions,
      ...(url.secure ? { tls: { alpn: ['http/1.1'], ...tls } } : {}),
    },
  );
  const { local, remote, network } = tcp;
  const tlsInfo = tcp.tls;
  const socket = tcp.toStream();
  const timeout = handshakeTimeout ?? DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT;
  const limit = maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const ws = new WebSocket(url.href, protocols ?? [], {
    // The socket is connected already (and secured, for wss); http reads it once it flows. The
    // server says nothing before the request, so no byte can go by unheard.
    createConnection: () => socket.resume() as never,
    perMessageDeflate: false,
    maxPayload: limit,
    followRedirects: false,
    ...(headers ? { headers } : {}),
    ...(origin !== undefined ? { origin } : {}),
  });
  // The tube takes the socket's messages from inside 'open': a message the server sends right
  // after its 101 answer is emitted on the next tick, before an await after 'open' would resume.
  const open = () =>
    new WebSocketTube(
      ws,
      {
        url: url.href,
        peerName: name,
        context: { ...context, op: 'read' },
        maxMessageSize: limit,
        ...(pingInterval !== undefined ? { pingInterval } : {}),
        ...(text !== undefined ? { text } : {}),
        ...(lines !== undefined ? { lines } : {}),
        ...(messageBoundaries !== undefined ? { messageBoundaries } : {}),
      },
      {
        ...tubeOptions,
        ...(network ? { network } : {}),
        ...(local ? { local } : {}),
        ...(remote ? { remote } : {}),
        ...(tlsInfo ? { tls: tlsInfo } : {}),
      },
    );
  return new Promise<WebSocketTube>((resolve, reject) => {
    const signal = options.signal;
    const fail = (error: Error) => {
      cleanup();
      // terminate() during the upgrade reports an error of its own: this one is the answer.
      ws.on('error', () => {});
      ws.terminate();
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new TimeoutError(`WebSocket upgrade with ${name} timed out after ${timeout}ms`, timeout, {
            ...context,
            op: 'handshake',
          }),
        ),
      timeout,
    );
    const onAbort = () => fail(new AbortError(`WebSocket upgrade with ${name} aborted`, context));
    const onOpen = () => {
      cleanup();
      resolve(open());
    };
    const onError = (error: Error) =>
      fail(
        new WebSocketError(`WebSocket upgrade with ${name} failed: ${error.message}`, {
          ...context,
          op: 'handshake',
          cause: error,
        }),
      );
    const onUnexpected = (_request: unknown, response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      response.resume();
      fail(
        new WebSocketError(
          `${name} refused the WebSocket upgrade of ${url.path}: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd(),
          { ...context, op: 'handshake', status },
        ),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpected);
    };
    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('unexpected-response', onUnexpected);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
