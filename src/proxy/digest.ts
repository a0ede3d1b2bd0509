import { createHash, randomBytes } from 'node:crypto';
import type { AuthChallenge } from './auth-challenge.js';
import type { ProxyAuth } from './proxy-spec.js';

/** What a Digest `response` is computed from (RFC 7616 section 3.4.1). */
export interface DigestInputs {
  /** `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess` (any case). */
  algorithm: string;
  username: string;
  realm: string;
  password: string;
  nonce: string;
  method: string;
  uri: string;
  /** `auth`, or undefined for the RFC 2069 form (no qop, nc or cnonce). */
  qop: 'auth' | undefined;
  nc: string;
  cnonce: string;
}

/** Node's hash name for a Digest algorithm, or undefined when sockcat does not speak it. */
export function digestHashName(algorithm: string): 'md5' | 'sha256' | undefined {
  if (/^MD5(-sess)?$/i.test(algorithm)) return 'md5';
  if (/^SHA-256(-sess)?$/i.test(algorithm)) return 'sha256';
  return undefined;
}

/** The `response` value in hex, or undefined for an algorithm sockcat does not speak. */
export function digestResponse(inputs: DigestInputs): string | undefined {
  const hashName = digestHashName(inputs.algorithm);
  if (hashName === undefined) return undefined;
  const h = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
  const { nonce, cnonce, nc, qop } = inputs;
  let ha1 = h(`${inputs.username}:${inputs.realm}:${inputs.password}`);
  if (/-sess$/i.test(inputs.algorithm)) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = h(`${inputs.method}:${inputs.uri}`);
  return qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
}

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
  const qops = (challenge.params['qop'] ?? '').split(',').map((q) => q.trim().toLowerCase());
  const qop = qops.includes('auth') ? 'auth' : undefined;
  if (qop === undefined && challenge.params['qop'] !== undefined) return undefined;
  const nc = '00000001';
  const response = digestResponse({
    algorithm,
    username: auth.username,
    realm,
    password: auth.password,
    nonce,
    method,
    uri,
    qop,
    nc,
    cnonce,
  });
  if (response === undefined) return undefined;
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

/** A quoted-string (RFC 9110 section 5.6.4). */
export function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
