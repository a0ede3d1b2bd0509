/**
 * What a finished TLS handshake negotiated, on `tube.tls`: plain data about a connection, like its
 * endpoints (so that tube/ needs nothing from tls/).
 */
export interface TlsInfo {
  /** 'TLSv1.3', 'TLSv1.2', ... */
  protocol: string;
  /** OpenSSL cipher name, e.g. 'TLS_AES_256_GCM_SHA384'. */
  cipher: string;
  /** The ALPN protocol agreed on, or undefined. */
  alpn: string | undefined;
  /** SHA-256 fingerprint of the peer's certificate (colon-separated hex), or undefined. */
  fingerprint: string | undefined;
  /** Subject of the peer's certificate, e.g. 'CN=localhost'. */
  subject: string | undefined;
  /** Issuer of the peer's certificate. */
  issuer: string | undefined;
  /** True when the peer was verified (chain and name, or pin). */
  verified: boolean;
  /** Why the peer was not verified, when it was not (chain/name error as text). */
  verifyError: string | undefined;
  /** The SNI name sent (client) or received (server). */
  servername: string | undefined;
}
