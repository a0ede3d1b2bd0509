import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { createCertificate } from '../../src/tls/certificate.js';
import { serverIdentityError } from '../../src/tls/server-identity.js';

async function peerCertificate(names: string[]): Promise<PeerCertificate> {
  const { cert } = await createCertificate({ names });
  const x509 = new X509Certificate(cert);
  return { raw: x509.raw, subject: {}, subjectaltname: x509.subjectAltName } as PeerCertificate;
}

test('an IPv6 address matches the certificate entry that names it, on every Node line', async () => {
  const cert = await peerCertificate(['localhost', '127.0.0.1', '::1']);
  assert.equal(serverIdentityError('::1', cert), undefined);
  assert.equal(serverIdentityError('127.0.0.1', cert), undefined);
  assert.equal(serverIdentityError('localhost', cert), undefined);
});

test('an address or name the certificate does not name is refused with the altname error', async () => {
  const cert = await peerCertificate(['localhost', '127.0.0.1', '::1']);
  for (const name of ['::2', '127.0.0.2', 'example.invalid']) {
    const error = serverIdentityError(name, cert) as Error & { code?: string };
    assert.equal(error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', name);
  }
});
