import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createCertificate, type GeneratedCertificate } from '../../src/tls/certificate.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A set of test certificates: a CA and leaves for each verification outcome. */
export interface TestCertificates {
  ca: GeneratedCertificate;
  /** Signed by the CA for localhost and 127.0.0.1. */
  good: GeneratedCertificate;
  /** Signed by the CA, expired yesterday. */
  expired: GeneratedCertificate;
  /** Signed by the CA for another name (example.invalid). */
  wrongName: GeneratedCertificate;
  /** Self-signed for localhost and 127.0.0.1 (untrusted). */
  selfSigned: GeneratedCertificate;
  /** A client certificate signed by the CA. */
  client: GeneratedCertificate;
  /** The same, written as PEM files in a private temporary directory: `<name>.pem`, `<name>.key`. */
  files: (name: Exclude<keyof TestCertificates, 'files'>) => { cert: string; key: string };
}

/** Make the certificates (in memory and in a temp dir removed when the test ends). */
export async function makeCertificates(t: TestContext): Promise<TestCertificates> {
  const ca = await createCertificate({ names: [], commonName: 'sockcat test CA', isCa: true });
  const now = Date.now();
  const local = ['localhost', '127.0.0.1'];
  const [good, expired, wrongName, selfSigned, client] = await Promise.all([
    createCertificate({ names: local, issuer: ca }),
    createCertificate({
      names: local,
      issuer: ca,
      notBefore: new Date(now - 3 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    }),
    createCertificate({ names: ['example.invalid'], issuer: ca }),
    createCertificate({ names: local }),
    createCertificate({ names: [], commonName: 'sockcat test client', issuer: ca }),
  ]);
  const all = { ca, good, expired, wrongName, selfSigned, client };
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, generated] of Object.entries(all)) {
    await writeFile(join(dir, `${name}.pem`), generated.cert, { mode: 0o600 });
    await writeFile(join(dir, `${name}.key`), generated.key, { mode: 0o600 });
  }
  return {
    ...all,
    files: (name) => ({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }),
  };
}
