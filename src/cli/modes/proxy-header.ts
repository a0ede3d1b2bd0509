import { encodeV1, encodeV2, type ProxyTransport } from '../../proxy-protocol/index.js';
import type { Tube } from '../../tube/tube.js';

/**
 * The PROXY header a client sends about its own connection: the source is this end, the
 * destination the peer. What a load balancer would send, for testing servers behind one.
 */
export function proxyHeaderFor(tube: Tube, version: 1 | 2): Buffer {
  const local = tube.local;
  const remote = tube.remote;
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
