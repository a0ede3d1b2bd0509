import { randomBytes } from 'node:crypto';
import { parseChallenges } from './auth-challenge.js';
import { digestHashName, digestResponse, quoted } from './digest.js';
import type { ProxyAuth } from './proxy-spec.js';
import { sameText } from './same-text.js';

/** Milliseconds a nonce stays valid after it was issued. */
export const DIGEST_NONCE_LIFETIME_MS = 5 * 60_000;
/** Nonces remembered at once; the oldest is forgotten first (its client is asked again). */
export const DIGEST_MAX_NONCES = 4096;

export interface DigestVerifierOptions {
  realm?: string;
  nonceLifetimeMs?: number;
  maxNonces?: number;
  /** The clock, in milliseconds (tests inject one). */
  now?: () => number;
}

/**
 * Why a Digest answer was not accepted: a field is missing (`missing`), the nonce is not one this
 * server issued or has expired (`stale`), the nonce and count were used before (`replayed`), or
 * the response does not match (`wrong`). Each gets a 407 with a fresh challenge.
 */
export type DigestVerdict = 'ok' | 'missing' | 'stale' | 'replayed' | 'wrong';

interface NonceState {
  issued: number;
  /** Highest nonce count accepted with qop (0: none yet). */
  count: number;
  /** Whether it was used without qop (the RFC 2069 form allows one use). */
  used: boolean;
}

/**
 * The server side of HTTP Digest authentication (RFC 7616, and the RFC 2069 form without qop)
 * for one set of credentials. It issues nonces and remembers, for each, the highest nonce count
 * accepted, so that an answer seen on the wire cannot be sent again. Memory is bounded by
 * `maxNonces`.
 */
export class DigestVerifier {
  readonly realm: string;
  #auth: ProxyAuth;
  #nonces = new Map<string, NonceState>();
  #lifetime: number;
  #max: number;
  #now: () => number;

  constructor(auth: ProxyAuth, options: DigestVerifierOptions = {}) {
    this.#auth = auth;
    this.realm = options.realm ?? 'sockcat';
    this.#lifetime = options.nonceLifetimeMs ?? DIGEST_NONCE_LIFETIME_MS;
    this.#max = options.maxNonces ?? DIGEST_MAX_NONCES;
    this.#now = options.now ?? Date.now;
  }

  /** A `Proxy-Authenticate` value with a new nonce; `stale` tells the client to just retry. */
  challenge(stale = false): string {
    const nonce = randomBytes(16).toString('hex');
    if (this.#nonces.size >= this.#max) {
      const oldest = this.#nonces.keys().next().value;
      if (oldest !== undefined) this.#nonces.delete(oldest);
    }
    this.#nonces.set(nonce, { issued: this.#now(), count: 0, used: false });
    return `Digest realm=${quoted(this.realm)}, nonce="${nonce}", qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /**
   * Check a `Proxy-Authorization: Digest ...` value for a request with this method and target.
   * The digest URI may be the target as sent or its origin form (`/path`, as curl sends it).
   */
  verify(header: string, method: string, target: string): DigestVerdict {
    const credentials = parseChallenges([header]).find((c) => c.scheme === 'digest');
    if (!credentials) return 'missing';
    const { username, realm, nonce, uri, response, cnonce, nc } = credentials.params;
    const qopText = credentials.params['qop'];
    const algorithm = credentials.params['algorithm'] ?? 'MD5';
    if (
      username === undefined ||
      realm === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined
    ) {
      return 'missing';
    }
    if (qopText !== undefined) {
      if (qopText.toLowerCase() !== 'auth') return 'wrong';
      if (cnonce === undefined || nc === undefined) return 'missing';
      if (!/^[0-9a-f]{8}$/i.test(nc)) return 'wrong';
    }
    if (digestHashName(algorithm) === undefined) return 'wrong';
    const state = this.#nonces.get(nonce);
    if (!state) return 'stale';
    if (this.#now() - state.issued > this.#lifetime) {
      this.#nonces.delete(nonce);
      return 'stale';
    }
    if (!sameUri(uri, method, target)) return 'wrong';
    const expected = digestResponse({
      algorithm,
      username: this.#auth.username,
      realm: this.realm,
      password: this.#auth.password,
      nonce,
      method,
      uri,
      qop: qopText === undefined ? undefined : 'auth',
      nc: nc ?? '',
      cnonce: cnonce ?? '',
    });
    const matches =
      realm === this.realm &&
      sameText(username, this.#auth.username) &&
      expected !== undefined &&
      sameText(response.toLowerCase(), expected);
    if (!matches) return 'wrong';
    if (qopText === undefined) {
      if (state.used || state.count > 0) return 'replayed';
      state.used = true;
      return 'ok';
    }
    const count = Number.parseInt(nc!, 16);
    if (state.used || count <= state.count) return 'replayed';
    state.count = count;
    return 'ok';
  }
}

/** The digest URI names this request: the target itself, or (for an absolute URI) its path. */
function sameUri(uri: string, method: string, target: string): boolean {
  if (uri === target) return true;
  if (method.toUpperCase() === 'CONNECT') return false;
  try {
    const url = new URL(target);
    return uri === `${url.pathname}${url.search}`;
  } catch {
    return false;
  }
}
