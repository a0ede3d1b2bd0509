import type { TLSSocket } from 'node:tls';
import { fingerprintOf } from './fingerprint.js';
import type { TlsInfo } from './options.js';
import { formatName } from './verify-error.js';

/** What a finished handshake on `socket` negotiated, and who the peer is. */
export function tlsInfoOf(
  socket: TLSSocket,
  verified: boolean,
  verifyError: string | undefined,
  servername: string | undefined,
): TlsInfo {
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && cert.raw !== undefined;
  const alpn = socket.alpnProtocol;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    alpn: typeof alpn === 'string' ? alpn : undefined,
    fingerprint: hasCert ? fingerprintOf(cert.raw) : undefined,
    subject: hasCert ? formatName(cert.subject as unknown as Record<string, string>) : undefined,
    issuer: hasCert ? formatName(cert.issuer as unknown as Record<string, string>) : undefined,
    verified,
    verifyError,
    servername,
  };
}
