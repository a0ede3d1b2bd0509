import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fingerprintOf, formatFingerprint, pinForm } from '../../src/tls/fingerprint.js';
import { parsePin, pinMatches } from '../../src/tls/pin.js';

const DIGEST = Buffer.from(
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'hex',
);

test('fingerprintOf: SHA-256 over the DER bytes, as colon-separated upper-case hex', () => {
  // SHA-256 of no bytes.
  assert.equal(
    fingerprintOf(new Uint8Array()),
    'E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55',
  );
  assert.equal(formatFingerprint(Buffer.from([0, 1, 255])), '00:01:FF');
});

test('pinForm: sha256: and lower-case hex without colons', () => {
  assert.equal(
    pinForm(formatFingerprint(DIGEST)),
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('parsePin: hex with or without colons, any case; base64 standard and URL-safe', () => {
  const hex = DIGEST.toString('hex');
  assert.deepEqual(parsePin(`sha256:${hex}`), DIGEST);
  assert.deepEqual(parsePin(`SHA256:${hex.toUpperCase()}`), DIGEST);
  assert.deepEqual(parsePin(`sha256:${formatFingerprint(DIGEST)}`), DIGEST);
  assert.deepEqual(parsePin(`sha256:${DIGEST.toString('base64')}`), DIGEST);
  assert.deepEqual(parsePin(`sha256:${DIGEST.toString('base64url')}`), DIGEST);
});

test('parsePin: anything else is an ArgumentError naming the value', () => {
  for (const bad of [
    '',
    'sha1:abcd',
    `sha256:${'ab'.repeat(31)}`,
    'sha256:xyz',
    `md5:${'00'.repeat(32)}`,
  ]) {
    assert.throws(() => parsePin(bad), {
      code: 'SOCKCAT_ARGS',
      message: new RegExp(`^invalid pin ${JSON.stringify(JSON.stringify(bad)).slice(1, -1)}`),
    });
  }
});

test('pinMatches: only the exact certificate digest', () => {
  const fingerprint = formatFingerprint(DIGEST);
  assert.equal(pinMatches(DIGEST, fingerprint), true);
  const other = Buffer.from(DIGEST);
  other.writeUInt8(other.readUInt8(31) ^ 1, 31);
  assert.equal(pinMatches(other, fingerprint), false);
  assert.equal(pinMatches(DIGEST, undefined), false);
});

test('parsePin: any string gives 32 bytes or an ArgumentError, never another throw', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      try {
        assert.equal(parsePin(`sha256:${text}`).length, 32);
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'SOCKCAT_ARGS');
      }
    }),
  );
});
