import { createHash, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { ArgumentError } from '../errors.js';
import { type NativeAddon, type NativeDtlsHandle, requireNative } from '../native/load.js';
import { generateEphemeralCertificate } from './certificate.js';
import { fingerprintOf } from './fingerprint.js';
import type { PemInput, TlsClientOptions, TlsServerOptions } from './options.js';

/** OpenSSL's version numbers for DTLS (DTLS counts down: 1.2 is 0xfefd). */
const DTLS1_2_VERSION = 0xfefd;

/** The datagram size DTLS records are cut to (RFC 6347 4.1.1: stay under the path MTU). */
export const DEFAULT_DTLS_MTU = 1400;

/** The addon, or an UnsupportedError saying DTLS needs it. */
export function requireDtls(): NativeAddon {
  return requireNative('DTLS (UDP with TLS)');
}

function pemBuffer(input: PemInput | undefined): Buffer | undefined {
  if (input === undefined) return undefined;
  const items = Array.isArray(input) ? input : [input];
  return Buffer.concat(items.map((item) => (typeof item === 'string' ? Buffer.from(item) : item)));
}

/** ALPN names in the wire format (each name preceded by its length). */
function alpnWire(names: readonly string[] | undefined): Buffer | undefined {
  if (names === undefined || names.length === 0) return undefined;
  return Buffer.concat(
    names.map((name) => {
      const bytes = Buffer.from(name);
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
  );
}

/**
 * DTLS has 1.0 and 1.2 (1.3 needs an OpenSSL newer than Node's); the TLS names map onto them:
 * TLSv1.2 means DTLS 1.2, the floor anyway; TLSv1.3 cannot be met.
 */
function minVersionOf(version: TlsClientOptions['minVersion']): number {
  if (version === 'TLSv1.3') {
    throw new ArgumentError(
      'DTLS 1.3 is not available: the OpenSSL in this Node has DTLS 1.2 at most (use --ssl-min-version TLSv1.2)',
    );
  }
  return DTLS1_2_VERSION;
}

/** Options of TLS that DTLS here cannot honour: refused rather than ignored. */
function refuseUnsupported(options: TlsClientOptions): void {
  if (options.keyLogFile !== undefined) {
    throw new ArgumentError('keyLogFile (SSLKEYLOGFILE) is not supported for DTLS');
  }
}

function contextFailure(error: unknown): ArgumentError {
  return new ArgumentError(`cannot set up DTLS: ${(error as Error).message}`, { cause: error });
}

/**
 * Client contexts already made, by their settings. Loading Node's bundled roots into a context
 * costs about 30 ms of CPU: made per connection, that was most of a DTLS client handshake. A
 * context is not changed once made (per-connection names are set on the session), so sessions
 * share it, as Node's TLS clients share one root store.
 */
const clientContexts = new Map<string, NativeDtlsHandle>();
/** Distinct client settings kept; the oldest is dropped beyond this. */
const CLIENT_CONTEXTS = 16;

function digestOf(bytes: Buffer | undefined): string {
  return bytes === undefined ? '-' : createHash('sha256').update(bytes).digest('base64');
}

/**
 * The client side: the trusted CAs (`ca`, else Node's bundled roots) are loaded so that the
 * certificate is checked during the handshake; whether a failed check refuses the server is
 * decided afterwards (see dtls-connect.ts), as the TLS client does. The same settings give the
 * same context (see clientContexts).
 */
export function createDtlsClientContext(
  native: NativeAddon,
  options: TlsClientOptions,
): NativeDtlsHandle {
  refuseUnsupported(options);
  const ca = pemBuffer(options.ca);
  const cert = pemBuffer(options.cert);
  const key = pemBuffer(options.key);
  const alpn = alpnWire(options.alpn);
  const minVersion = minVersionOf(options.minVersion);
  const cacheKey = [
    ca === undefined ? 'roots' : digestOf(ca),
    digestOf(cert),
    digestOf(key),
    options.ciphers ?? '-',
    alpn?.toString('hex') ?? '-',
    minVersion,
  ].join(' ');
  const cached = clientContexts.get(cacheKey);
  if (cached) return cached;
  const settings: Parameters<NativeAddon['dtlsContext']>[0] = {
    server: false,
    verifyPeer: false,
    minVersion,
    ca: ca ?? Buffer.from(rootCertificates.join('\n')),
  };
  if (cert) settings.cert = cert;
  if (key) settings.key = key;
  if (options.ciphers !== undefined) settings.ciphers = options.ciphers;
  if (alpn) settings.alpn = alpn;
  let handle: NativeDtlsHandle;
  try {
    handle = native.dtlsContext(settings);
  } catch (error) {
    throw contextFailure(error);
  }
  if (clientContexts.size >= CLIENT_CONTEXTS) {
    clientContexts.delete(clientContexts.keys().next().value!);
  }
  clientContexts.set(cacheKey, handle);
  return handle;
}

export interface DtlsServerContext {
  handle: NativeDtlsHandle;
  /** SHA-256 fingerprint of the server's certificate (colon hex). */
  fingerprint: string;
  /** True when the certificate was made in memory because none was given. */
  ephemeral: boolean;
}

/**
 * The server side: the given certificate and key, or a temporary ECDSA P-256 certificate made in
 * memory. With `requestCert` (or a pin) clients must present a certificate, verified against
 * `ca` during the handshake unless `insecure`.
 */
export async function createDtlsServerContext(
  native: NativeAddon,
  options: TlsServerOptions,
): Promise<DtlsServerContext> {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new ArgumentError(
      options.cert === undefined
        ? 'a DTLS key was given without its certificate'
        : 'a DTLS certificate was given without its key',
    );
  }
  let cert = pemBuffer(options.cert);
  let key = pemBuffer(options.key);
  let ephemeral = false;
  if (cert === undefined || key === undefined) {
    const generated = await generateEphemeralCertificate(options.ephemeralNames);
    cert = Buffer.from(generated.cert);
    key = Buffer.from(generated.key);
    ephemeral = true;
  }
  refuseUnsupported(options);
  const askClient = options.requestCert === true || options.pin !== undefined;
  const settings: Parameters<NativeAddon['dtlsContext']>[0] = {
    server: true,
    cert,
    key,
    verifyPeer: askClient,
    minVersion: minVersionOf(options.minVersion),
  };
  const ca = pemBuffer(options.ca);
  if (ca) settings.ca = ca;
  if (options.ciphers !== undefined) settings.ciphers = options.ciphers;
  const alpn = alpnWire(options.alpn);
  if (alpn) settings.alpn = alpn;
  let handle: NativeDtlsHandle;
  try {
    handle = native.dtlsContext(settings);
  } catch (error) {
    throw contextFailure(error);
  }
  let fingerprint: string;
  try {
    fingerprint = fingerprintOf(new X509Certificate(cert).raw);
  } catch (error) {
    throw contextFailure(error);
  }
  return { handle, fingerprint, ephemeral };
}
