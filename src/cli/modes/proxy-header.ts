import { ipFamily } from '../../address/ip.js';
import { type Family, resolveHost } from '../../address/resolve.js';
import { encodeV1, encodeV2, type ProxyTransport } from '../../proxy-protocol/index.js';
import type { Endpoint, Tube } from '../../tube/tube.js';

/**
 * The PROXY header a client sends about its own connection: the source is this end, the
 * destination the peer. What a load balancer would send, for testing servers behind one.
 * Through a proxy the peer of the socket is the proxy, so `destination` names the real one
 * (null: not known here, and the header says UNKNOWN).
 */
export function proxyHeaderFor(tube: Tube, version: 1 | 2, destination?: Endpoint | null): Buffer {
  const local = tube.local;
  const remote = destination === undefined ? tube.remote : destination;
  const known = local && remote && local.family !== 0 && local.family === remote.family;
  const protocol: ProxyTransport = known ? (local.family === 6 ? 'tcp6' : 'tcp4') : 'unknown';
  const source = known ? { address: local.address, port: local.port } : undefined;
  const target = known ? { address: remote.address, port: remote.port } : undefined;
  const header = {
    protocol,
    ...(source ? { source } : {}),
    ...(target ? { destination: target } : {}),
  };
  return version === 1 ? encodeV1(header) : encodeV2({ command: 'proxy', ...header });
}

/**
 * The destination a PROXY header names when connecting through a proxy: HOST (resolved here if
 * it is a name, in the family of this end) and PORT as given, not the proxy's. Undefined when
 * it has no address of that family here (the header then says UNKNOWN).
 */
export async function proxiedDestination(
  host: string,
  port: number,
  family: Family,
  localFamily: number | undefined,
): Promise<Endpoint | undefined> {
  const literal = ipFamily(host);
  if (literal !== 0) return { address: host, port, family: literal };
  const addresses = await resolveHost(host, { family }).catch(() => []);
  const match = addresses.find((entry) => entry.family === localFamily);
  return match && { address: match.address, port, family: match.family };
}
