import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { ArgumentError, type ErrorContext, TlsError } from '../errors.js';
import { generateEphemeralCertificate } from './certificate.js';
import { secureContextProblem } from './context-error.js';
import { fingerprintOf, pinForm } from './fingerprint.js';
import { settleHandshake } from './handshake.js';
import { tlsInfoOf } from './info.js';
import { attachKeyLog } from './keylog.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsInfo, type TlsServerOptions } from './options.js';
import { parsePin, pinMatches } from './pin.js';
import { describeVerifyError } from './verify-error.js';

export interface AcceptedTls {
  socket: TLSSocket;
  info: TlsInfo;
}

/** The server side of TLS for a listener: one secure context, a handshake per connection. */
export interface TlsAcceptor {
  /** SHA-256 fingerprint of the server's certificate (colon hex). */
  readonly fingerprint: string;
  /** True when the certificate was generated because none was given. */
  readonly ephemeral: boolean;
  /**
   * Run the server handshake on an accepted socket; resolves when the client is accepted (and its
   * certificate verified, with `requestCert`), rejects with TlsError and destroys it otherwise.
   */
  accept(socket: Socket, peer: string, context?: ErrorContext): Promise<AcceptedTls>;
}

/**
 * Build the server side from options: the given certificate and key, or an ephemeral
 * certificate made in memory (ECDSA P-256, see certificate.ts) when neither is given.
 */
export async function createTlsAcceptor(options: TlsServerOptions): Promise<TlsAcceptor> {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new ArgumentError(
      options.cert === undefined
        ? 'a TLS key was given without its certificate'
        : 'a TLS certificate was given without its key',
    );
  }
  const pin = options.pin === undefined ? undefined : parsePin(options.pin);
  let cert = options.cert;
  let key = options.key;
  let ephemeral = false;
  if (cert === undefined || key === undefined) {
    const generated = await generateEphemeralCertificate(options.ephemeralNames);
    cert = generated.cert;
    key = generated.key;
    ephemeral = true;
  }
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({
      cert,
      key,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : {}),
      ...(options.minVersion !== undefined ? { minVersion: options.minVersion } : {}),
    });
  } catch (error) {
    throw secureContextProblem(error, options);
  }
  const fingerprint = leafFingerprint(cert);
  // A pin on the server side pins the client's certificate, so it needs one.
  const requestCert = options.requestCert === true || pin !== undefined;
  const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;

  return {
    fingerprint,
    ephemeral,
    async accept(raw, peer, context = {}) {
      const ctx: ErrorContext = { ...context, op: 'handshake' };
      const socket = new TLSSocket(raw, {
        isServer: true,
        secureContext,
        requestCert,
        rejectUnauthorized: false,
        ...(options.alpn !== undefined ? { ALPNProtocols: options.alpn } : {}),
      });
      if (options.keyLogFile !== undefined) attachKeyLog(socket, options.keyLogFile);
      await settleHandshake(socket, 'secure', { timeout, signal: undefined, peer, context: ctx });
      const servername = (socket as { servername?: string | false }).servername;
      const sni = typeof servername === 'string' ? servername : undefined;
      if (!requestCert) return { socket, info: tlsInfoOf(socket, false, undefined, sni) };

      const peerCert = socket.getPeerCertificate();
      const hasCert = peerCert?.raw !== undefined;
      const refuse = (text: string, reason: ConstructorParameters<typeof TlsError>[1]) => {
        socket.destroy();
        return new TlsError(`TLS client ${peer} refused: ${text}`, reason, ctx);
      };
      if (!hasCert) throw refuse('no client certificate', 'no-certificate');
      const authError = clientVerifyError(socket);
      const problem = authError
        ? describeVerifyError(
            typeof authError === 'string'
              ? Object.assign(new Error(authError), { code: authError })
              : authError,
            peerCert,
          )
        : undefined;
      if (problem && !options.insecure) {
        throw refuse(problem.text, problem.reason);
      }
      const clientFingerprint = fingerprintOf(peerCert.raw);
      if (pin && !pinMatches(pin, clientFingerprint)) {
        throw refuse(
          `certificate does not match the pin (its fingerprint is ${pinForm(clientFingerprint)})`,
          'pin',
        );
      }
      const verified = (!problem && !options.insecure) || pin !== undefined;
      return { socket, info: tlsInfoOf(socket, verified, problem?.text, sni) };
    },
  };
}

/**
 * The chain verification result of a server-side socket's client certificate. node:tls sets
 * `authorizationError` only on the sockets a tls.Server makes (its 'secure' handler asks the TLS
 * handle); on a TLSSocket made over an accepted socket, as here, it stays undefined, and an
 * untrusted client certificate passed as trusted. So the handle is asked as node:tls asks it; a
 * Node without that method fails closed.
 */
function clientVerifyError(socket: TLSSocket): Error | string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (typeof handle?.verifyError !== 'function') {
    return Object.assign(new Error('the client certificate could not be verified'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  }
  return handle.verifyError() ?? null;
}

function leafFingerprint(cert: NonNullable<TlsServerOptions['cert']>): string {
  const first = Array.isArray(cert) ? cert[0] : cert;
  try {
    return fingerprintOf(new X509Certificate(first ?? '').raw);
  } catch {
    return '';
  }
}
