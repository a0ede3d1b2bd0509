import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { ipv4ToBytes, ipv6ToBytes } from '../address/ip-bytes.js';
import { ArgumentError } from '../errors.js';
import {
  bitString,
  boolean,
  children,
  derNull,
  explicit,
  implicit,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';
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

/** An ephemeral certificate is valid from an hour ago (clock skew) for a day. */
const EPHEMERAL_BACKDATE_MS = 60 * 60 * 1000;
const EPHEMERAL_LIFETIME_MS = 24 * 60 * 60 * 1000;

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

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

/**
 * Make an ECDSA P-256 / SHA-256 certificate (self-signed, or signed by `issuer`, whose key may be
 * ECDSA or RSA). Built with node:crypto and a few lines of DER (der.ts), in about a millisecond:
 * a listener's start-up no longer loads an X.509 library.
 */
export async function createCertificate(
  options: CertificateOptions,
): Promise<GeneratedCertificate> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const commonName = options.commonName ?? options.names[0] ?? 'localhost';
  const notBefore = options.notBefore ?? new Date(Date.now() - EPHEMERAL_BACKDATE_MS);
  const notAfter = options.notAfter ?? new Date(Date.now() + EPHEMERAL_LIFETIME_MS);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const subject = sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
  const issuer = options.issuer ? issuerOf(options.issuer) : undefined;
  const signingKey = issuer?.key ?? privateKey;
  const algorithm = signatureAlgorithm(signingKey);

  const isCa = options.isCa === true;
  const extensions = [
    extension(OID.basicConstraints, true, isCa ? sequence(boolean(true)) : sequence()),
    extension(OID.keyUsage, true, keyUsage(isCa)),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
  ];
  if (issuer) {
    extensions.push(
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, issuer.keyIdentifier))),
    );
  }
  if (!isCa) {
    extensions.push(
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    );
  }
  if (options.names.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, sequence(...options.names.map(altName))));
  }
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serialNumber()),
    algorithm,
    issuer?.subject ?? subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, signingKey)));
  return {
    cert: toPem(der, 'CERTIFICATE'),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint: fingerprintOf(new Uint8Array(der)),
  };
}

/** The issuer's subject name (as encoded in its certificate), key identifier and private key. */
function issuerOf(issuer: { cert: string; key: string }): {
  subject: Buffer;
  keyIdentifier: Buffer;
  key: KeyObject;
} {
  let raw: Buffer;
  let key: KeyObject;
  try {
    raw = Buffer.from(new X509Certificate(issuer.cert).raw);
    key = createPrivateKey(issuer.key);
  } catch {
    throw new ArgumentError('the issuer certificate or key is not valid PEM');
  }
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature,
  // issuer, validity, subject, ... }, ... }: the subject is the sixth element.
  const [tbs] = children(readElement(raw).contents);
  const subject = tbs ? children(tbs.contents)[5] : undefined;
  if (!subject) throw new ArgumentError('the issuer certificate has no subject');
  const spki = createPublicKey(issuer.cert).export({ type: 'spki', format: 'der' });
  return { subject: Buffer.from(subject.raw), keyIdentifier: keyIdentifier(spki), key };
}

/** AlgorithmIdentifier for a SHA-256 signature by this key. */
function signatureAlgorithm(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ec') return sequence(oid(OID.ecdsaWithSha256));
  if (key.asymmetricKeyType === 'rsa') return sequence(oid(OID.sha256WithRsa), derNull());
  throw new ArgumentError(`an issuer key of type ${key.asymmetricKeyType} cannot sign here`);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

/** keyUsage: digitalSignature (bit 0) for a leaf; keyCertSign and cRLSign (bits 5, 6) for a CA. */
function keyUsage(isCa: boolean): Buffer {
  return isCa ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7);
}

/** RFC 5280's key identifier: SHA-1 of the subjectPublicKey bits of a SubjectPublicKeyInfo. */
function keyIdentifier(spki: Buffer): Buffer {
  const [, key] = children(readElement(spki).contents);
  return createHash('sha1')
    .update(key ? key.contents.subarray(1) : spki)
    .digest();
}

/** A name for subjectAltName: an iPAddress ([7], its bytes) or a dNSName ([2], IA5 text). */
function altName(name: string): Buffer {
  const family = isIP(name);
  if (family === 4) return implicit(7, ipv4ToBytes(name));
  if (family === 6) return implicit(7, ipv6ToBytes(name));
  return implicit(2, Buffer.from(name, 'latin1'));
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280: at most 20 octets). */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
