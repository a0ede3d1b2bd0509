import { resolveHost } from '../../address/resolve.js';
import { type ConnectOptions, connect } from '../../dial/connect.js';
import { AbortError } from '../../errors.js';
import type { Tube } from '../../tube/tube.js';
import type { Context } from '../context.js';
import { failedLine, serviceName, succeededLine } from '../openbsd-wording.js';

/**
 * Connect as nc.openbsd does: resolve, then try each address in the resolver's order, one at a
 * time, each bounded by -w. With -v every failed address is reported ("connect to HOST port PORT
 * (tcp) failed: REASON") and the success too ("Connection to HOST PORT port [tcp/SERVICE]
 * succeeded!", without the `nc:` prefix). Resolves to undefined when every address failed.
 */
export async function connectInOrder(ctx: Context, port: number): Promise<Tube | undefined> {
  const { options, io, log } = ctx;
  const host = options.host ?? '';
  if (options.proxy.length > 0) return connectThroughProxy(ctx, host, port);
  const addresses = await resolveHost(host, {
    family: options.family,
    numericOnly: options.numericOnly,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  const connectOptions: ConnectOptions = {
    timeout: options.connectTimeout,
    numericOnly: true,
    ...(options.sourceAddress !== undefined ? { localAddress: options.sourceAddress } : {}),
    ...(options.sourcePort !== undefined ? { localPort: options.sourcePort } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(options.socket ? { socket: options.socket } : {}),
  };
  for (const { address } of addresses) {
    let tube: Tube;
    try {
      tube = await connect({ host: address, port }, connectOptions);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      log.info(1, failedLine(host, address, port, error));
      continue;
    }
    if (log.verbosity >= 1) {
      log.bare(
        1,
        succeededLine(host, address, port, await serviceName(address, port, options.numericOnly)),
      );
    }
    return tube;
  }
  return undefined;
}

/**
 * -x: through the proxy (nc's SOCKS5 unless -X), which resolves the host itself (SOCKS4: here).
 * The messages name the destination, as nc's do.
 */
async function connectThroughProxy(
  ctx: Context,
  host: string,
  port: number,
): Promise<Tube | undefined> {
  const { options, io, log } = ctx;
  try {
    const tube = await connect(
      { host, port },
      {
        family: options.family,
        timeout: options.connectTimeout,
        proxy: options.proxy,
        proxyDns: options.proxyDns,
        ...(options.sourcePort !== undefined ? { localPort: options.sourcePort } : {}),
        ...(options.socket ? { socket: options.socket } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      },
    );
    if (log.verbosity >= 1) {
      log.bare(1, succeededLine(host, host, port, await serviceName(host, port, true)));
    }
    return tube;
  } catch (error) {
    if (error instanceof AbortError) throw error;
    log.info(1, failedLine(host, host, port, error));
    return undefined;
  }
}
