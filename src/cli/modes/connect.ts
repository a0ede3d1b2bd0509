import type { ConnectOptions } from '../../transports/tcp-connect.js';
import { connect } from '../../transports/tcp-connect.js';
import type { Options } from '../args.js';
import type { CliIO } from '../io.js';
import type { Log } from '../log.js';
import type { SessionLog } from '../session-log.js';
import { peerName, runSession } from './session.js';

/** `sockcat host port`: connect, then relay stdin/stdout. */
export async function runConnect(
  options: Options,
  io: CliIO,
  log: Log,
  sessionLog?: SessionLog,
): Promise<void> {
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
  await runSession(tube, options, io, log, sessionLog);
}
