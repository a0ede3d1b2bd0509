import type { ConnectOptions } from '../../transports/tcp-connect.js';
import { connect } from '../../transports/tcp-connect.js';
import type { Context } from '../context.js';
import { peerName, runSession } from './session.js';

/** `sockcat host port`: connect, then relay stdin/stdout. */
export async function runConnect(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const connectOptions: ConnectOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    timeout: options.connectTimeout,
  };
  if (options.sourceAddress !== undefined) connectOptions.localAddress = options.sourceAddress;
  if (options.sourcePort !== undefined) connectOptions.localPort = options.sourcePort;
  if (io.signal) connectOptions.signal = io.signal;
  const tls = options.tls ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.clientTlsOptions(ctx);
  if (tlsOptions) connectOptions.tls = tlsOptions;
  const tube = await connect({ host: options.host ?? '', port: options.port }, connectOptions);
  if (tls) tls.reportClientTls(ctx, tube);
  else log.info(1, `Connected to ${peerName(tube)}.`);
  if (options.proxyProtocol !== undefined) {
    const { proxyHeaderFor } = await import('./proxy-header.js');
    await tube.send(proxyHeaderFor(tube, options.proxyProtocol));
  }
  await runSession(ctx, tube, 'connected');
}
