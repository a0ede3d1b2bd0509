import { ipFamily } from '../../address/ip.js';
import { encodeV1, encodeV2, type ProxyTransport } from '../../proxy-protocol/index.js';
import type { Endpoint, Tube } from '../../tube/tube.js';

/**
 * The PROXY header a client sends about its own connection: the source is this end, the
 * destination the peer, or, through --proxy, the destination as given (HOST PORT), not the
 * proxy's address. What a load balancer would send, for testing servers behind one. A
 * destination named by a host name (resolved by the proxy), or of another family than this end,
 * cannot be written in the header's address fields: the header says UNKNOWN.
 */
export function proxyHeaderFor(
  tube: Tube,
  version: 1 | 2,
  destinationAsGiven?: { host: string; port: number },
): Buffer {
  const local = tube.local;
  const remote: Endpoint | undefined = destinationAsGiven
    ? {
        address: destinationAsGiven.host,
        port: destinationAsGiven.port,
        family: ipFamily(destinationAsGiven.host),
      }
    : tube.remote;
  const known = local && remote && local.family !== 0 && local.family === remote.family;
  const protocol: ProxyTransport = known ? (local.family === 6 ? 'tcp6' : 'tcp4') : 'unknown';
  const source = known ? { address: local.address, port: local.port } : undefined;
  const destination = known ? { address: remote.address, port: remote.port } : undefined;
  const header = {
    protocol,
    ...(source ? { source } : {}),
    ...(destination ? { destination } : {}),
  };
  return version === 1 ? encodeV1(header) : encodeV2({ command: 'proxy', ...header });
}
