import { isIP } from 'node:net';
import type { Endpoint } from '../address/endpoint.js';
import { type ErrorContext, TlsError } from '../errors.js';
import { DtlsConnection } from './dtls-connection.js';
import { createDtlsClientContext, DEFAULT_DTLS_MTU, requireDtls } from './dtls-context.js';
import { dtlsInfoOf, dtlsVerifyProblem } from './dtls-verify.js';
import { pinForm } from './fingerprint.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsClientOptions } from './options.js';
import { parsePin, pinMatches } from './pin.js';

/** A UDP socket connected to one peer (transports/udp.ts's UdpConnection has this shape). */
export interface ConnectedDatagrams extends AsyncIterable<Buffer> {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  send(datagram: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface DtlsClientOptions extends TlsClientOptions {
  /** Largest datagram the records are cut to. Default 1400. */
  mtu?: number;
}

export interface SecureUdpOptions extends DtlsClientOptions {
  /** The host connected to: the default SNI name and the name verified. */
  host?: string;
  signal?: AbortSignal;
  context?: ErrorContext;
}

/**
 * Run a DTLS client handshake over a connected UDP socket and return the session as a datagram
 * connection. As the TLS client: the chain and the name (servername, else host) are verified
 * unless `insecure`, the pin is checked when given; a refusal is a TlsError saying why (expired,
 * name, untrusted, pin, handshake), and the socket is closed.
 */
export async function secureUdp(
  udp: ConnectedDatagrams,
  options: SecureUdpOptions = {},
): Promise<DtlsConnection> {
  const native = requireDtls();
  const pin = options.pin === undefined ? undefined : parsePin(options.pin);
  let connection: DtlsConnection;
  const context: ErrorContext = { ...options.context, op: 'handshake' };
  const host = options.host;
  const servername =
    options.servername ?? (host !== undefined && isIP(host) === 0 ? host : undefined);
  const checkedName = options.servername ?? host;
  try {
    const handle = native.dtlsSession(createDtlsClientContext(native, options), {
      mtu: options.mtu ?? DEFAULT_DTLS_MTU,
      ...(servername !== undefined ? { servername } : {}),
      ...(checkedName !== undefined && isIP(checkedName) === 0 ? { verifyHost: checkedName } : {}),
      ...(checkedName !== undefined && isIP(checkedName) !== 0 ? { verifyIp: checkedName } : {}),
    });
    connection = new DtlsConnection(
      native,
      handle,
      { send: (datagram) => udp.send(datagram), close: () => udp.close() },
      { local: udp.local, remote: udp.remote },
    );
  } catch (error) {
    await udp.close();
    throw error;
  }
  void (async () => {
    try {
      for await (const datagram of udp) connection.receiveRaw(datagram);
    } catch (error) {
      connection.fail(error as Error);
    }
  })();
  connection.receiveRaw(null);
  try {
    await connection.handshake(
      options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      options.signal,
      context,
    );
  } catch (error) {
    await udp.close();
    throw error;
  }
  const info = connection.session.info();
  const problem = dtlsVerifyProblem(info, checkedName);
  const refuse = async (text: string, reason: ConstructorParameters<typeof TlsError>[1]) => {
    await connection.close();
    return new TlsError(
      `DTLS handshake with ${connection.peerName} failed: ${text}`,
      reason,
      context,
    );
  };
  if (problem && !options.insecure) throw await refuse(problem.text, problem.reason);
  const tls = dtlsInfoOf(
    info,
    (!problem && !options.insecure) || pin !== undefined,
    problem?.text,
    servername,
  );
  if (pin && !pinMatches(pin, tls.fingerprint)) {
    throw await refuse(
      `certificate does not match the pin (its fingerprint is ${tls.fingerprint ? pinForm(tls.fingerprint) : 'unknown'})`,
      'pin',
    );
  }
  connection.tls = tls;
  return connection;
}
