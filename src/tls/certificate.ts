import type { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { fingerprintOf } from './fingerprint.js';

/** A certificate and its key, PEM-encoded, with the certificate's SHA-256 fingerprint. */
export interface GeneratedCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, colon-separated hex. */
  fingerprint: string;
}

export interface CertificateOptions {
  /** Subject common name. Default: the first name. */
  commonName?: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  names: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Sign with this CA instead of self-signing. */
  issuer?: { cert: string; key: string };
  /** Make a CA certificate (basicConstraints CA:TRUE, keyCertSign). */
  isCa?: boolean;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** An ephemeral certificate is valid from an hour ago (clock skew) for a day. */
const EPHEMERAL_BACKDATE_MS = 60 * 60 * 1000;
const EPHEMERAL_LIFETIME_MS = 24 * 60 * 60 * 1000;

type X509Module = typeof import('@peculiar/x509');
let x509Module: Promise<X509Module> | undefined;

/** @peculiar/x509 needs reflect-metadata loaded first; both load only when a certificate is made. */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return x509Module;
}

/**
 * The certificate a TLS listener uses when none is given: ECDSA P-256 signed with SHA-256,
 * self-signed, for the given names (default localhost, 127.0.0.1, ::1), valid for a day.
 * Made in memory; nothing is written to disk.
 */
export function generateEphemeralCertificate(
  names: string[] = ['localhost', '127.0.0.1', '::1'],
): Promise<GeneratedCertificate> {
  const now = Date.now();
  return createCertificate({
    commonName: names[0] ?? 'localhost',
    names,
    notBefore: new Date(now - EPHEMERAL_BACKDATE_MS),
    notAfter: new Date(now + EPHEMERAL_LIFETIME_MS),
  });
}

/** Make an ECDSA P-256 / SHA-256 certificate (self-signed, or signed by `issuer`). */
export async function createCertificate(
  options: CertificateOptions,
): Promise<GeneratedCertificate> {
  const x509 = await loadX509();
  const { subtle } = globalThis.crypto;
  const keys = (await subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const commonName = options.commonName ?? options.names[0] ?? 'localhost';
  const notBefore = options.notBefore ?? new Date(Date.now() - EPHEMERAL_BACKDATE_MS);
  const notAfter = options.notAfter ?? new Date(Date.now() + EPHEMERAL_LIFETIME_MS);
  const extensions: InstanceType<X509Module['Extension']>[] = [
    new x509.BasicConstraintsExtension(options.isCa === true, undefined, true),
    new x509.KeyUsagesExtension(
      options.isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!options.isCa) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
    );
  }
  if (options.names.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        options.names.map((name) =>
          isIP(name) ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name },
        ),
      ),
    );
  }
  const subject = `CN=${commonName}`;
  let cert: InstanceType<X509Module['X509Certificate']>;
  if (options.issuer) {
    const issuerCert = new x509.X509Certificate(options.issuer.cert);
    const issuerKey = await importKey(options.issuer.key);
    cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: issuerCert.subject,
      publicKey: keys.publicKey,
      signingKey: issuerKey,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      extensions,
    });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: subject,
      keys,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      extensions,
    });
  }
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return {
    cert: cert.toString('pem'),
    key: toPem(pkcs8, 'PRIVATE KEY'),
    fingerprint: fingerprintOf(new Uint8Array(cert.rawData)),
  };
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return globalThis.crypto.subtle.importKey(
    'pkcs8',
    Buffer.from(body, 'base64'),
    ECDSA_P256,
    false,
    ['sign'],
  );
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
