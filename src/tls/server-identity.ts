import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * Whether the certificate names `name`, as tls.checkServerIdentity's error or undefined. An IP
 * address is matched against the certificate's own IP entries: Node 22.23's checkServerIdentity
 * refuses "::1" against a certificate naming IP Address:0:0:0:0:0:0:0:1 (Node 20 and 24 accept).
 */
export function serverIdentityError(name: string, cert: PeerCertificate): Error | undefined {
  if (isIP(name) !== 0 && cert.raw !== undefined) {
    if (new X509Certificate(cert.raw).checkIP(name) !== undefined) return undefined;
  }
  return checkServerIdentity(name, cert);
}
