import { createHash } from 'node:crypto';

/** SHA-256 over a certificate's DER bytes, as colon-separated upper-case hex (OpenSSL's form). */
export function fingerprintOf(der: Uint8Array): string {
  return formatFingerprint(createHash('sha256').update(der).digest());
}

/** 32 digest bytes as `AB:CD:...`. */
export function formatFingerprint(digest: Uint8Array): string {
  return Buffer.from(digest)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/** A fingerprint in the form `--ssl-pin` takes: `sha256:` and 64 lower-case hex digits. */
export function pinForm(fingerprint: string): string {
  return `sha256:${fingerprint.replaceAll(':', '').toLowerCase()}`;
}
