import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createCertificate, generateEphemeralCertificate } from '../../src/tls/certificate.js';
import { fingerprintOf } from '../../src/tls/fingerprint.js';

test('ephemeral certificate: ECDSA P-256, SHA-256, self-signed for localhost and loopback, a day', async () => {
  const before = Date.now();
  const generated = await generateEphemeralCertificate();
  const cert = new X509Certificate(generated.cert);
  assert.equal(cert.subject, 'CN=localhost');
  assert.equal(cert.issuer, 'CN=localhost');
  assert.equal(
    cert.subjectAltName,
    'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  );
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.verify(cert.publicKey), true, 'self-signed');
  assert.equal(cert.ca, false);
  assert.equal(
    cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(generated.key)),
    true,
  );
  const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  assert.ok(lifetime <= 26 * 3600 * 1000, `short validity, got ${lifetime} ms`);
  assert.ok(Date.parse(cert.validFrom) <= before && Date.parse(cert.validTo) > before);
  assert.equal(generated.fingerprint, fingerprintOf(cert.raw));
  assert.equal(generated.fingerprint, cert.fingerprint256);
});

test('ephemeral certificate: the names asked for, and a fresh key each time', async () => {
  const a = await generateEphemeralCertificate(['myhost', '10.1.2.3']);
  const b = await generateEphemeralCertificate(['myhost', '10.1.2.3']);
  const cert = new X509Certificate(a.cert);
  assert.equal(cert.subjectAltName, 'DNS:myhost, IP Address:10.1.2.3');
  assert.equal(cert.checkHost('myhost'), 'myhost');
  assert.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
  assert.notEqual(a.fingerprint, b.fingerprint);
  assert.notEqual(a.key, b.key);
});

test('createCertificate: a CA and a leaf it signs', async () => {
  const ca = await createCertificate({ names: [], commonName: 'Test CA', isCa: true });
  const leaf = await createCertificate({ names: ['localhost'], issuer: ca });
  const caCert = new X509Certificate(ca.cert);
  const leafCert = new X509Certificate(leaf.cert);
  assert.equal(caCert.ca, true);
  assert.equal(leafCert.issuer, 'CN=Test CA');
  assert.equal(leafCert.checkIssued(caCert), true);
  assert.equal(leafCert.verify(caCert.publicKey), true);
});
