/**
 * UDP dialing with DTLS composed over it: the public `connectUdp()`. transports/ opens the
 * connected UDP socket; with `tls`, the DTLS client handshake (tls/, through the native addon)
 * runs over it and the result is a DtlsConnection with the same datagram shape.
 */
import type { DtlsClientOptions } from '../tls/dtls-connect.js';
import type { DtlsConnection } from '../tls/dtls-connection.js';
import { parseTarget, type TargetInput } from '../transports/target.js';
import {
  connectUdp as openUdp,
  type UdpConnection,
  type UdpConnectOptions,
} from '../transports/udp.js';

export interface DialUdpOptions extends UdpConnectOptions {
  /**
   * DTLS over the socket (`true`: defaults). The server's certificate and name are verified
   * unless `insecure: true`, as with TCP's `tls`; connectUdp then resolves with a DtlsConnection.
   */
  tls?: DtlsClientOptions | true;
}

/**
 * Open a UDP socket connected to `target` (see transports/udp.ts), and with `tls` run DTLS over
 * it: one send() is one DTLS record in one datagram, one receive one record.
 */
export async function connectUdp(
  target: TargetInput,
  options: DialUdpOptions & { tls: DtlsClientOptions | true },
): Promise<DtlsConnection>;
export async function connectUdp(
  target: TargetInput,
  options?: DialUdpOptions,
): Promise<UdpConnection>;
export async function connectUdp(
  target: TargetInput,
  options: DialUdpOptions = {},
): Promise<UdpConnection | DtlsConnection> {
  const { tls, ...udpOptions } = options;
  const connection = await openUdp(target, udpOptions);
  if (!tls) return connection;
  // The DTLS layer (and the addon) load only when asked for.
  const { secureUdp } = await import('../tls/dtls-connect.js');
  // The host as given is the name verified against the certificate (openUdp parsed it already).
  const { host } = parseTarget(target);
  return secureUdp(connection, {
    ...(tls === true ? {} : tls),
    host,
    ...(options.signal ? { signal: options.signal } : {}),
    context: { network: 'udp', address: host, port: connection.remote.port },
  });
}
