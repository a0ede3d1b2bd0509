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
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const target = options.unixSocket
    ? { path: options.host ?? '' }
    : { host: options.host ?? '', port: options.port };
  const tube = await connect(target, connectOptions);
  log.info(1, `Connected to ${peerName(tube)}.`);
  if (options.proxyProtocol !== undefined) {
    const { proxyHeaderFor } = await import('./proxy-header.js');
    await tube.send(proxyHeaderFor(tube, options.proxyProtocol));
  }
  if (exec) await exec.session(tube, 'connected');
  else await runSession(ctx, tube, 'connected');
}
