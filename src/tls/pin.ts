import { ArgumentError } from '../errors.js';

const SHA256_BYTES = 32;

/**
 * Parse a certificate pin: `sha256:` then the SHA-256 of the certificate's DER bytes as 64 hex
 * digits (colons or spaces between bytes allowed, any case) or as base64 (standard or URL-safe,
 * padding optional). Returns the 32 digest bytes; throws ArgumentError naming the value.
 */
export function parsePin(text: string): Buffer {
  const match = /^sha256:(.*)$/i.exec(text.trim());
  if (!match) {
    throw new ArgumentError(
      `invalid pin ${JSON.stringify(text)}: expected sha256:<64 hex digits or base64>`,
    );
  }
  const value = match[1]!;
  const hex = value.replace(/[:\s]/g, '');
  if (/^[0-9a-f]{64}$/i.test(hex)) return Buffer.from(hex, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === SHA256_BYTES) return bytes;
  }
  throw new ArgumentError(
    `invalid pin ${JSON.stringify(text)}: a SHA-256 pin is 64 hex digits or 44 base64 characters`,
  );
}

/** True when the fingerprint (colon hex, as fingerprintOf gives) is the pinned digest. */
export function pinMatches(pin: Buffer, fingerprint: string | undefined): boolean {
  if (fingerprint === undefined) return false;
  return Buffer.from(fingerprint.replaceAll(':', ''), 'hex').equals(pin);
}
