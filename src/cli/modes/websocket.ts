/**
 * The WebSocket transport in the CLI: `sockcat ws://host[:port]/path` (and wss://) connects, and
 * `-l --websocket` listens; the one-client acceptor (listen.ts), exec and serve()-based modes then
 * run over its tubes as over TCP ones. Framing: binary messages by default, --ws-text, --ws-lines.
 */
import type { ServeWebSocketOptions } from '../../server/types.js';
import type { WebSocketOptions, WebSocketTube } from '../../transports/websocket-tube.js';
import type { Tube } from '../../tube/tube.js';
import type { Context } from '../context.js';
import { connectWithRetry } from '../retry.js';
import { runSession, sessionIdOf } from './session.js';

/** The library's WebSocket options from --ws-text, --ws-lines, --ws-max-message, --ws-ping. */
export function webSocketOptions(ctx: Context): Omit<WebSocketOptions, 'tube'> {
  const tuning = ctx.options.websocket ?? ctx.options.webSocketTuning;
  return {
    // The CLI reads bytes (stream mode): message boundaries are not kept for recvMessage().
    messageBoundaries: false,
    ...(tuning.framing === 'text' ? { text: true } : {}),
    ...(tuning.framing === 'lines' ? { lines: true } : {}),
    ...(tuning.maxMessageSize !== undefined ? { maxMessageSize: tuning.maxMessageSize } : {}),
    ...(tuning.pingInterval !== undefined ? { pingInterval: tuning.pingInterval } : {}),
  };
}

/** serve()'s `websocket` for -l -k / --broker / --chat with --websocket; empty otherwise. */
export function serveWebSocketOptions(ctx: Context): { websocket?: ServeWebSocketOptions } {
  const ws = ctx.options.websocket;
  if (!ws?.listen) return {};
  return {
    websocket: {
      ...webSocketOptions(ctx),
      ...(ws.path !== undefined ? { path: ws.path } : {}),
      onHandshakeError: (error) => ctx.log.info(1, error.message),
    },
  };
}

/** -v line and --json event when a WebSocket closes: the code, the reason, who closed first. */
export function watchWebSocketClose(ctx: Context, tube: Tube): void {
  if (!('whenClosed' in tube)) return;
  (tube as WebSocketTube).whenClosed().then((close) => {
    const reason = close.reason === '' ? '' : ` (${JSON.stringify(close.reason)})`;
    const by =
      close.initiator === 'peer'
        ? 'by the peer'
        : close.initiator === 'local'
          ? 'by sockcat'
          : 'without a close frame';
    ctx.log.info(1, `WebSocket closed ${by}: code ${close.code}${reason}.`);
    const id = sessionIdOf(tube);
    ctx.events.emit({
      event: 'websocket-closed',
      ...(id !== undefined ? { id } : {}),
      code: close.code,
      reason: close.reason,
      initiator: close.initiator,
    });
  });
}

/** `sockcat ws://host[:port]/path`: connect (with --retry), then stdio or -e/-c/--js-exec. */
export async function runWebSocketConnect(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const url = options.websocket!.url!;
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const tls = url.secure ? await import('../tls.js') : undefined;
  const { connectWebSocket } = await import('../../dial/websocket-connect.js');
  let via: string[] | undefined;
  if (options.proxy.length > 0) {
    const { formatProxy } = await import('../../proxy/proxy-spec.js');
    via = options.proxy.map(formatProxy);
  }
  const tube = await connectWithRetry(ctx, url.href, () =>
    connectWebSocket(url.href, {
      ...webSocketOptions(ctx),
      family: options.family,
      numericOnly: options.numericOnly,
      timeout: options.connectTimeout,
      handshakeTimeout: options.connectTimeout,
      ...(options.sourceAddress !== undefined ? { localAddress: options.sourceAddress } : {}),
      ...(options.sourcePort !== undefined ? { localPort: options.sourcePort } : {}),
      ...(options.socket ? { socket: options.socket } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(options.proxy.length > 0 ? { proxy: options.proxy, proxyDns: options.proxyDns } : {}),
      ...(tls ? { tls: tls.clientTlsOptions(ctx) ?? {} } : {}),
    }),
  );
  if (tls) tls.reportClientTls(ctx, tube);
  log.info(1, `Connected to ${url.href}${via ? ` through ${via.join(' -> ')}` : ''}.`);
  watchWebSocketClose(ctx, tube);
  const proxied = via && { remote: { address: url.host, port: url.port }, proxy: via };
  if (exec) await exec.session(tube, 'connected');
  else await runSession(ctx, tube, 'connected', proxied);
}
