import type { PeerCertificate } from 'node:tls';
import type { TlsFailure } from '../errors.js';

/** OpenSSL verify codes (as Node reports them) grouped by what the user has to fix. */
const FAILURE_BY_CODE: Record<string, TlsFailure> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name',
  HOSTNAME_MISMATCH: 'name',
};

/** Short reasons for the verify codes users meet; others fall back to OpenSSL's text. */
const TEXT_BY_CODE: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer not trusted',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_SIGNATURE_FAILURE: 'certificate signature is invalid',
  CERT_REVOKED: 'certificate revoked',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'certificate not allowed for this purpose',
};

export interface VerifyProblem {
  reason: TlsFailure;
  /** One line for the user, e.g. "certificate expired on 2026-11-24T10:00:00Z". */
  text: string;
}

/** Describe a chain or name verification error for a certificate. */
export function describeVerifyError(
  error: Error & { code?: string },
  cert: PeerCertificate | undefined,
  name?: string,
): VerifyProblem {
  const code = error.code ?? '';
  const reason = FAILURE_BY_CODE[code] ?? 'untrusted';
  if (reason === 'expired') {
    return { reason, text: `certificate expired on ${isoDate(cert?.valid_to)}` };
  }
  if (reason === 'not-yet-valid') {
    return { reason, text: `certificate is not valid before ${isoDate(cert?.valid_from)}` };
  }
  if (reason === 'name') {
    // Node: "Hostname/IP does not match certificate's altnames: Host: x. is not in the cert's altnames: DNS:y"
    const names = cert?.subjectaltname ?? (cert?.subject?.CN ? `CN=${cert.subject.CN}` : 'none');
    const wanted = name === undefined ? 'this name' : JSON.stringify(name);
    return { reason, text: `certificate is not valid for ${wanted} (it names ${names})` };
  }
  const text = TEXT_BY_CODE[code] ?? (error.message || code).replace(/\.$/, '').toLowerCase();
  return { reason, text };
}

function isoDate(text: string | undefined): string {
  if (!text) return 'an unknown date';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A certificate's distinguished name as `CN=x, O=y`. */
export function formatName(
  name: Record<string, string | string[]> | undefined,
): string | undefined {
  if (!name) return undefined;
  const parts = Object.entries(name).map(
    ([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`,
  );
  return parts.length > 0 ? parts.join(', ') : undefined;
}
