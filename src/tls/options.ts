/** What the TLS client and server accept, and what a finished handshake reports. */

/** PEM text or DER/PEM bytes, one item or several (a bundle). */
export type PemInput = string | Buffer | Array<string | Buffer>;

/** Options shared by both ends of a TLS connection. */
export interface TlsCommonOptions {
  /** Trusted CA certificates (PEM). Default: Node's bundled and system roots. */
  ca?: PemInput;
  /** This end's certificate chain (PEM): the server's, or the client's for mTLS. */
  cert?: PemInput;
  /** The private key for `cert` (PEM). */
  key?: PemInput;
  /** OpenSSL cipher list for TLS 1.2 and below (TLS 1.3 suites stay enabled). */
  ciphers?: string;
  /** ALPN protocols, most preferred first. */
  alpn?: string[];
  /** Lowest protocol version accepted. Default: Node's ('TLSv1.2'). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * Accept the peer's certificate only if its SHA-256 fingerprint is this one
   * (`sha256:` + 64 hex digits, colons allowed, or 44 base64 characters). A pin is checked on top
   * of chain verification; with `insecure: true` the pin alone decides.
   */
  pin?: string;
  /** Skip chain and name verification (the pin, if any, is still checked). Default false. */
  insecure?: boolean;
  /** Append NSS key log lines (SSLKEYLOGFILE format) to this file, for Wireshark. */
  keyLogFile?: string;
  /** Milliseconds the handshake may take. Default 10000. */
  handshakeTimeout?: number;
}

export interface TlsClientOptions extends TlsCommonOptions {
  /**
   * Server name sent in SNI and checked against the certificate. Default: the host connected
   * to (no SNI is sent for an IP address, whose certificate is checked for that IP).
   */
  servername?: string;
}

export interface TlsServerOptions extends TlsCommonOptions {
  /**
   * Ask clients for a certificate (mTLS). It is verified against `ca` (and/or `pin`) and a client
   * without a valid one is refused, unless `insecure` is set. Default false.
   */
  requestCert?: boolean;
  /**
   * Names and addresses put in a generated certificate when `cert`/`key` are not given.
   * Default: localhost, 127.0.0.1, ::1.
   */
  ephemeralNames?: string[];
}

/** What a finished handshake negotiated: defined with the endpoints, below the tube. */
export type { TlsInfo } from '../address/tls-info.js';

export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
