import { formatHostPort } from '../../address/host-port.js';
import { AbortError, TimeoutError } from '../../errors.js';
import { connectUdp, type UdpConnectOptions } from '../../transports/udp.js';
import type { Context } from '../context.js';
import { peerName } from './session.js';
import { runUdpSession } from './udp-session.js';

/** `sockcat -u host port`: a UDP socket connected to the peer, relayed with stdin/stdout. */
export async function runUdpConnect(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const connectOptions: UdpConnectOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
  };
  if (options.sourceAddress !== undefined) connectOptions.localAddress = options.sourceAddress;
  if (options.sourcePort !== undefined) connectOptions.localPort = options.sourcePort;
  // -w bounds the only wait a UDP "connect" has: resolving the host name.
  const deadline = AbortSignal.timeout(options.connectTimeout);
  connectOptions.signal = io.signal ? AbortSignal.any([io.signal, deadline]) : deadline;
  if (options.socket) connectOptions.socket = options.socket;
  const target = { host: options.host ?? '', port: options.port };
  let connection: Awaited<ReturnType<typeof connectUdp>>;
  try {
    connection = await connectUdp(target, connectOptions);
  } catch (error) {
    if (error instanceof AbortError && deadline.aborted && !io.signal?.aborted) {
      throw new TimeoutError(
        `connect to udp ${formatHostPort(target.host, target.port)} timed out after ${options.connectTimeout}ms (resolving the host)`,
        options.connectTimeout,
        { op: 'resolve', network: 'udp', address: target.host, port: target.port },
      );
    }
    throw error;
  }
  log.info(1, `Connected to ${peerName(connection)}.`);
  if (options.exec) {
    // -e/-c/--js-exec: the command talks with the peer (as ncat), not sockcat's stdin/stdout.
    const exec = await (await import('./exec.js')).prepareExec(ctx, options.exec);
    const { datagramTube } = await import('./datagram-tube.js');
    await exec.session(datagramTube(connection, 'udp'), 'connected');
    return;
  }
  await runUdpSession(ctx, connection, 'connected');
}
