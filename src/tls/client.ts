import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { AbortError, type ErrorContext, TlsError } from '../errors.js';
import { fingerprintOf, pinForm } from './fingerprint.js';
import { settleHandshake } from './handshake.js';
import { tlsInfoOf } from './info.js';
import { attachKeyLog } from './keylog.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsClientOptions, type TlsInfo } from './options.js';
import { parsePin, pinMatches } from './pin.js';
import { serverIdentityError } from './server-identity.js';
import { describeVerifyError } from './verify-error.js';

export interface UpgradeClientOptions extends TlsClientOptions {
  /** The host the connection was made to: the default SNI name and the name verified. */
  host?: string;
  /** `host:port` for messages. Default: the host. */
  peerName?: string;
  signal?: AbortSignal;
  /** Error context (network, address, port) for the errors thrown. */
  context?: ErrorContext;
}

export interface UpgradedClient {
  socket: TLSSocket;
  info: TlsInfo;
}

/**
 * Run a TLS client handshake over any connected stream: a TCP or Unix socket, or a tunnel through
 * a proxy. Verifies the certificate chain and the name (servername, else host) unless `insecure`,
 * and the pin when one is given. Resolves once the handshake is done and the peer accepted;
 * rejects with TlsError (reason: expired, name, untrusted, pin, handshake) and destroys the stream
 * otherwise. Bytes that follow the handshake stay in the returned socket.
 */
export async function upgradeClient(
  stream: Duplex,
  options: UpgradeClientOptions = {},
): Promise<UpgradedClient> {
  const pin = options.pin === undefined ? undefined : parsePin(options.pin);
  const host = options.host;
  const servername =
    options.servername ?? (host !== undefined && isIP(host) === 0 ? host : undefined);
  const checkedName = options.servername ?? host;
  const peer = options.peerName ?? host ?? 'peer';
  const context: ErrorContext = { ...options.context, op: 'handshake' };
  if (options.signal?.aborted) {
    stream.destroy();
    throw new AbortError(`TLS handshake with ${peer} aborted`, context);
  }
  if (stream.destroyed || !stream.writable) {
    stream.destroy();
    throw new TlsError(
      `TLS handshake with ${peer} failed: the connection closed before the handshake`,
      'handshake',
      context,
    );
  }
  let nameError: (Error & { code?: string }) | undefined;
  const tlsOptions: ConnectionOptions = {
    socket: stream as Socket,
    // Verified below, after the handshake, so the failure can say exactly what was wrong.
    rejectUnauthorized: false,
    checkServerIdentity: (_name: string, cert: PeerCertificate) => {
      nameError = checkedName === undefined ? undefined : serverIdentityError(checkedName, cert);
      return undefined;
    },
  };
  if (servername !== undefined) tlsOptions.servername = servername;
  if (options.ca !== undefined) tlsOptions.ca = options.ca;
  if (options.cert !== undefined) tlsOptions.cert = options.cert;
  if (options.key !== undefined) tlsOptions.key = options.key;
  if (options.ciphers !== undefined) tlsOptions.ciphers = options.ciphers;
  if (options.alpn !== undefined) tlsOptions.ALPNProtocols = options.alpn;
  if (options.minVersion !== undefined) tlsOptions.minVersion = options.minVersion;
  let socket: TLSSocket;
  try {
    socket = tlsConnect(tlsOptions);
  } catch (error) {
    stream.destroy();
    throw new TlsError(`TLS setup for ${peer} failed: ${(error as Error).message}`, 'handshake', {
      ...context,
      cause: error,
    });
  }
  if (options.keyLogFile !== undefined) attachKeyLog(socket, options.keyLogFile);
  await settleHandshake(socket, 'secureConnect', {
    timeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    signal: options.signal,
    peer,
    context,
  });

  const cert = socket.getPeerCertificate();
  const chainError = socket.authorizationError as unknown as
    | (Error & { code?: string })
    | string
    | null;
  const verifyError = chainError
    ? typeof chainError === 'string'
      ? Object.assign(new Error(chainError), { code: chainError })
      : chainError
    : nameError;
  const problem = verifyError ? describeVerifyError(verifyError, cert, checkedName) : undefined;
  const fingerprint = cert?.raw ? fingerprintOf(cert.raw) : undefined;
  const refuse = (text: string, reason: ConstructorParameters<typeof TlsError>[1]) => {
    socket.destroy();
    return new TlsError(`TLS handshake with ${peer} failed: ${text}`, reason, context);
  };
  if (problem && !options.insecure) throw refuse(problem.text, problem.reason);
  if (pin && !pinMatches(pin, fingerprint)) {
    throw refuse(
      `certificate does not match the pin (its fingerprint is ${fingerprint ? pinForm(fingerprint) : 'unknown'})`,
      'pin',
    );
  }
  const verified = (!problem && !options.insecure) || pin !== undefined;
  return {
    socket,
    info: tlsInfoOf(socket, verified, problem?.text, servername),
  };
}
