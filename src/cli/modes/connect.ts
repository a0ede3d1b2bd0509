import type { ConnectOptions } from '../../transports/tcp-connect.js';
import { connect } from '../../transports/tcp-connect.js';
import type { Context } from '../context.js';
import { QuietExit } from '../openbsd-wording.js';
import { peerName, runSession } from './session.js';

/** `sockcat host port`: connect, then relay stdin/stdout. */
export async function runConnect(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  if (options.dialect === 'openbsd') {
    const { connectInOrder } = await import('./openbsd-connect.js');
    const tube = await connectInOrder(ctx, options.port);
    // nc exits 1; the failures were reported with -v, and only then, as nc does.
    if (!tube) throw new QuietExit(1, `connect to ${options.host} port ${options.port} failed`);
    await runSession(ctx, tube, 'connected');
    return;
  }
  const connectOptions: ConnectOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    timeout: options.connectTimeout,
  };
  if (options.sourceAddress !== undefined) connectOptions.localAddress = options.sourceAddress;
  if (options.sourcePort !== undefined) connectOptions.localPort = options.sourcePort;
  if (io.signal) connectOptions.signal = io.signal;
  const tube = await connect({ host: options.host ?? '', port: options.port }, connectOptions);
  log.info(1, `Connected to ${peerName(tube)}.`);
  if (options.proxyProtocol !== undefined) {
    const { proxyHeaderFor } = await import('./proxy-header.js');
    await tube.send(proxyHeaderFor(tube, options.proxyProtocol));
  }
  await runSession(ctx, tube, 'connected');
}
