import { createHash, randomBytes } from 'node:crypto';
import type { AuthChallenge } from './auth-challenge.js';
import type { ProxyAuth } from './proxy-spec.js';

/**
 * The `Proxy-Authorization: Digest ...` answer to a Digest challenge (RFC 7616), for CONNECT:
 * the digest URI is the request target (`host:port`). Algorithms MD5 and SHA-256 (and their
 * `-sess` forms); qop `auth` when offered, else the RFC 2069 form. Undefined when the challenge
 * asks for something else (qop `auth-int` only, an unknown algorithm, no nonce).
 */
export function digestAuthorization(
  challenge: AuthChallenge,
  auth: ProxyAuth,
  method: string,
  uri: string,
  cnonce: string = randomBytes(8).toString('hex'),
): string | undefined {
  const { realm = '', nonce, opaque } = challenge.params;
  if (nonce === undefined) return undefined;
  const algorithm = challenge.params['algorithm'] ?? 'MD5';
  const hashName = /^MD5(-sess)?$/i.test(algorithm)
    ? 'md5'
    : /^SHA-256(-sess)?$/i.test(algorithm)
      ? 'sha256'
      : undefined;
  if (hashName === undefined) return undefined;
  const h = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
  const qops = (challenge.params['qop'] ?? '').split(',').map((q) => q.trim().toLowerCase());
  const qop = qops.includes('auth') ? 'auth' : undefined;
  if (qop === undefined && challenge.params['qop'] !== undefined) return undefined;
  let ha1 = h(`${auth.username}:${realm}:${auth.password}`);
  if (/-sess$/i.test(algorithm)) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  const nc = '00000001';
  const response = qop
    ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : h(`${ha1}:${nonce}:${ha2}`);
  const fields = [
    `username=${quoted(auth.username)}`,
    `realm=${quoted(realm)}`,
    `nonce=${quoted(nonce)}`,
    `uri=${quoted(uri)}`,
    ...(challenge.params['algorithm'] !== undefined ? [`algorithm=${algorithm}`] : []),
    ...(qop ? [`qop=${qop}`, `cnonce=${quoted(cnonce)}`, `nc=${nc}`] : []),
    `response=${quoted(response)}`,
    ...(opaque !== undefined ? [`opaque=${quoted(opaque)}`] : []),
  ];
  return `Digest ${fields.join(', ')}`;
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
