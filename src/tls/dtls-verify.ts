import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { NativeDtlsInfo } from '../native/load.js';
import { fingerprintOf } from './fingerprint.js';
import type { TlsInfo } from './options.js';
import { describeVerifyError, type VerifyProblem } from './verify-error.js';

/** OpenSSL's X509_V_ERR numbers, by the names Node gives them (verify-error.ts speaks those). */
const VERIFY_CODE_NAMES: Readonly<Record<number, string>> = {
  2: 'UNABLE_TO_GET_ISSUER_CERT',
  7: 'CERT_SIGNATURE_FAILURE',
  9: 'CERT_NOT_YET_VALID',
  10: 'CERT_HAS_EXPIRED',
  18: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  19: 'SELF_SIGNED_CERT_IN_CHAIN',
  20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  23: 'CERT_REVOKED',
  24: 'INVALID_CA',
  26: 'INVALID_PURPOSE',
  27: 'CERT_UNTRUSTED',
  62: 'HOSTNAME_MISMATCH',
  64: 'HOSTNAME_MISMATCH',
};

/** The parts of a peer certificate that verify-error.ts quotes, from its DER bytes. */
function peerCertificate(der: Buffer | undefined): PeerCertificate | undefined {
  if (!der) return undefined;
  const x509 = new X509Certificate(der);
  return {
    subjectaltname: x509.subjectAltName ?? '',
    valid_from: x509.validFrom,
    valid_to: x509.validTo,
    subject: subjectOf(x509.subject),
  } as unknown as PeerCertificate;
}

/** X509Certificate's "CN=x\nO=y" as { CN: 'x', O: 'y' }. */
function subjectOf(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

function formatDn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return text.split('\n').filter(Boolean).join(', ');
}

/**
 * Why the peer's certificate did not pass (chain, dates, name), in the words the TLS side uses;
 * undefined when it passed. A peer without a certificate is a problem of its own.
 */
export function dtlsVerifyProblem(info: NativeDtlsInfo, name?: string): VerifyProblem | undefined {
  if (!info.certificate) return { reason: 'no-certificate', text: 'no certificate was presented' };
  if (info.verifyCode === 0) return undefined;
  const code = VERIFY_CODE_NAMES[info.verifyCode] ?? `X509_V_ERR_${info.verifyCode}`;
  const error = Object.assign(new Error(info.verifyError), { code });
  return describeVerifyError(error, peerCertificate(info.certificate), name);
}

/** tube.tls for a DTLS session. */
export function dtlsInfoOf(
  info: NativeDtlsInfo,
  verified: boolean,
  verifyError: string | undefined,
  servername: string | undefined,
): TlsInfo {
  const x509 = info.certificate ? new X509Certificate(info.certificate) : undefined;
  return {
    protocol: info.protocol,
    cipher: info.cipher,
    alpn: info.alpn,
    fingerprint: info.certificate ? fingerprintOf(info.certificate) : undefined,
    subject: formatDn(x509?.subject),
    issuer: formatDn(x509?.issuer),
    verified,
    verifyError,
    servername: servername ?? info.servername,
  };
}
