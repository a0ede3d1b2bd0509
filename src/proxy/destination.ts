import { formatHostPort } from '../address/host-port.js';
import { resolveHost } from '../address/resolve.js';
import type { ConnectionInfo } from '../server/types.js';
import { connect } from '../transports/tcp-connect.js';
import type { Tube } from '../tube/tube.js';
import { isOwnAddress } from './own-address.js';
import {
  clientBytes,
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './proxy-server-options.js';
import { splice } from './splice.js';

/**
 * Why a proxy server refuses a destination before connecting: it is the proxy itself (`loop`:
 * one of its own listening addresses, by name or number) or `allowDestination` said no
 * (`not-allowed`). Undefined when it may be tried. A name that does not resolve is left to the
 * connect, which reports it.
 */
export async function refusedDestination(
  host: string,
  port: number,
  tube: Tube,
  info: ConnectionInfo,
  options: ProxyServerOptions,
): Promise<'loop' | 'not-allowed' | undefined> {
  const local = tube.local ?? info.local;
  const addresses = await resolveHost(host, { family: options.family ?? 0, signal: info.signal })
    .then((found) => found.map((entry) => entry.address))
    .catch(() => []);
  if (addresses.some((address) => isOwnAddress(address, port, local))) return 'loop';
  if (options.allowDestination && !(await options.allowDestination(host, port))) {
    return 'not-allowed';
  }
  return undefined;
}

/** Connect to a proxy destination with the server's family, timeout and abort signal. */
export function connectDestination(
  host: string,
  port: number,
  info: ConnectionInfo,
  options: ProxyServerOptions,
): Promise<Tube> {
  return connect(
    { host, port },
    {
      family: options.family ?? 0,
      timeout: options.connectTimeout ?? DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
      signal: info.signal,
    },
  );
}

/** The log line for a refused destination. */
export function refusalMessage(reason: 'loop' | 'not-allowed', host: string, port: number): string {
  const destination = formatHostPort(host, port);
  return reason === 'loop'
    ? `destination ${destination} is this proxy itself (request loop)`
    : `destination ${destination} not allowed`;
}

/**
 * Run an open tunnel: told to `onTunnel`, both ways with splice() until both directions ended,
 * then told to `onTunnelEnd` with the client's byte counts and how the tunnel ended.
 */
export async function runTunnel(
  tube: Tube,
  upstream: Tube,
  tunnel: TunnelInfo,
  info: ConnectionInfo,
  options: ProxyServerOptions,
): Promise<void> {
  options.onTunnel?.(tunnel);
  const clientStream = tube.toStream();
  const bytes = await splice(clientStream, upstream.toStream(), {
    signal: info.signal,
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
  });
  options.onTunnelEnd?.(tunnel, clientBytes(clientStream, tube, bytes), bytes.reason);
}
