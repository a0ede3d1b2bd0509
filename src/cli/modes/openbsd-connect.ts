import { resolveHost } from '../../address/resolve.js';
import { AbortError } from '../../errors.js';
import { type ConnectOptions, connect } from '../../transports/tcp-connect.js';
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
