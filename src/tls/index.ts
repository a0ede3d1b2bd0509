export {
  type CertificateOptions,
  createCertificate,
  type GeneratedCertificate,
  generateEphemeralCertificate,
} from './certificate.js';
export { type UpgradeClientOptions, type UpgradedClient, upgradeClient } from './client.js';
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
