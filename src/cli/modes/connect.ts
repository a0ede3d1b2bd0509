import { formatHostPort } from '../../address/host-port.js';
import { ipFamily } from '../../address/ip.js';
import type { ConnectOptions } from '../../dial/connect.js';
import { connect } from '../../dial/connect.js';
import type { Context } from '../context.js';
import { QuietExit } from '../openbsd-wording.js';
import { connectWithRetry } from '../retry.js';
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
  if (options.socket) connectOptions.socket = options.socket;
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  const tlsOptions = tls?.clientTlsOptions(ctx);
  if (tlsOptions) connectOptions.tls = tlsOptions;
  const host = options.host ?? '';
  let via: string[] | undefined;
  if (options.proxy.length > 0) {
    const { formatProxy } = await import('../../proxy/proxy-spec.js');
    connectOptions.proxy = options.proxy;
    connectOptions.proxyDns = options.proxyDns;
    via = options.proxy.map(formatProxy);
    if (options.proxyDns === 'remote' && ipFamily(host) === 0) {
      log.info(1, `Host ${host} will be resolved by the proxy.`);
    }
  }
  const unix = ctx.plan.transport === 'unix';
  const target = unix ? { path: host } : { host, port: options.port };
  const named = unix ? host : formatHostPort(host, options.port);
  const tube = await connectWithRetry(ctx, named, () => connect(target, connectOptions));
  if (via) {
    log.info(1, `Connected to ${formatHostPort(host, options.port)} through ${via.join(' -> ')}.`);
  }
  if (tls) tls.reportClientTls(ctx, tube);
  else if (!via) log.info(1, `Connected to ${peerName(tube)}.`);
  if (options.proxyProtocol !== undefined) {
    const { proxiedDestination, proxyHeaderFor } = await import('./proxy-header.js');
    const destination = via
      ? ((await proxiedDestination(host, options.port, options.family, tube.local?.family)) ?? null)
      : undefined;
    await tube.send(proxyHeaderFor(tube, options.proxyProtocol, destination));
  }
  const proxied = via && { remote: { address: host, port: options.port }, proxy: via };
  if (exec) await exec.session(tube, 'connected', proxied ? { via: proxied } : {});
  else await runSession(ctx, tube, 'connected', proxied);
}
