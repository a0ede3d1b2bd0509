export {
  type CertificateOptions,
  createCertificate,
  type GeneratedCertificate,
  generateEphemeralCertificate,
} from './certificate.js';
export { type UpgradeClientOptions, type UpgradedClient, upgradeClient } from './client.js';
export {
  createDtlsAcceptor,
  DEFAULT_MAX_HALF_OPEN,
  DtlsAcceptor,
  type DtlsSender,
  type DtlsServerOptions,
} from './dtls-acceptor.js';
export type { DtlsClientOptions } from './dtls-connect.js';
export { DtlsConnection, type DtlsRecvOptions } from './dtls-connection.js';
export { fingerprintOf, pinForm } from './fingerprint.js';
export type {
  PemInput,
  TlsClientOptions,
  TlsCommonOptions,
  TlsInfo,
  TlsServerOptions,
} from './options.js';
export { parsePin, pinMatches } from './pin.js';
export { type AcceptedTls, createTlsAcceptor, type TlsAcceptor } from './server.js';
