/**
 * SSH host keys as OpenSSH shows them: the SHA-256 fingerprint (`SHA256:` and unpadded base64, as
 * `ssh-keygen -l` prints it) and the key type read from the key blob (RFC 4253 section 6.6).
 * Pure: no sockets.
 */
import { createHash } from 'node:crypto';
import { ArgumentError } from '../errors.js';

/** `SHA256:` + the unpadded base64 of the SHA-256 of the key blob. */
export function hostKeyFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a public key blob ('ssh-ed25519'), or '' when malformed. */
export function hostKeyType(keyBlob: Uint8Array): string {
  const blob = Buffer.from(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength);
  if (blob.length < 4) return '';
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return '';
  return blob.toString('latin1', 4, 4 + length);
}

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/**
 * A fingerprint as given by a user, checked and in the canonical form (`SHA256:` and 43 base64
 * characters; a trailing '=' is accepted). MD5 fingerprints are refused: they can be forged.
 */
export function parseFingerprint(value: unknown, what = 'hostFingerprint'): string {
  if (typeof value === 'string') {
    const match = FINGERPRINT.exec(value.trim());
    if (match) return `SHA256:${match[1]}`;
    if (/^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(value.trim())) {
      throw new ArgumentError(
        `${what}: MD5 fingerprints are not accepted; give the SHA-256 one (ssh-keygen -l -E sha256 -f KEY)`,
      );
    }
  }
  throw new ArgumentError(
    `${what} must be a SHA-256 fingerprint such as "SHA256:" followed by 43 base64 characters (as ssh-keygen -l prints it)`,
  );
}
