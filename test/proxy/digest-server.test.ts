// The HTTP proxy server's Digest check (RFC 7616 with qop, RFC 2069 without): nonces it issued,
// counts that only go up, every field present.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseChallenges } from '../../src/proxy/auth-challenge.js';
import { digestAuthorization } from '../../src/proxy/digest.js';
import { DigestVerifier } from '../../src/proxy/digest-server.js';

const auth = { username: 'u', password: 'p' };
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function nonceOf(challenge: string): string {
  const [parsed] = parseChallenges([challenge]);
  assert.equal(parsed?.scheme, 'digest');
  return parsed.params['nonce']!;
}

/** An answer computed by hand (RFC 7616 section 3.4.1), as a client would send it. */
function answer(nonce: string, fields: { nc?: string; qop?: boolean; uri?: string } = {}) {
  const uri = fields.uri ?? 'example.com:443';
  const ha1 = md5('u:sockcat:p');
  const ha2 = md5(`CONNECT:${uri}`);
  const nc = fields.nc ?? '00000001';
  if (fields.qop === false) {
    return `Digest username="u", realm="sockcat", nonce="${nonce}", uri="${uri}", response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
  }
  const response = md5(`${ha1}:${nonce}:${nc}:c0ffee:auth:${ha2}`);
  return `Digest username="u", realm="sockcat", nonce="${nonce}", uri="${uri}", qop=auth, nc=${nc}, cnonce="c0ffee", response="${response}"`;
}

test('the challenge offers qop="auth" with a fresh nonce each time; stale=true when asked', () => {
  const verifier = new DigestVerifier(auth);
  const first = verifier.challenge();
  assert.match(first, /^Digest realm="sockcat", nonce="[0-9a-f]{32}", qop="auth"$/);
  assert.notEqual(nonceOf(first), nonceOf(verifier.challenge()));
  assert.match(verifier.challenge(true), /, stale=true$/);
});

test('with qop: accepted once per nonce count; a replayed count is refused, a higher one taken', () => {
  const verifier = new DigestVerifier(auth);
  const nonce = nonceOf(verifier.challenge());
  const target = 'example.com:443';
  assert.equal(verifier.verify(answer(nonce), 'CONNECT', target), 'ok');
  assert.equal(verifier.verify(answer(nonce), 'CONNECT', target), 'replayed');
  assert.equal(verifier.verify(answer(nonce, { nc: '00000002' }), 'CONNECT', target), 'ok');
  assert.equal(verifier.verify(answer(nonce, { nc: '00000002' }), 'CONNECT', target), 'replayed');
});

test('without qop (RFC 2069): one use per nonce', () => {
  const verifier = new DigestVerifier(auth);
  const nonce = nonceOf(verifier.challenge());
  const header = answer(nonce, { qop: false });
  assert.equal(verifier.verify(header, 'CONNECT', 'example.com:443'), 'ok');
  assert.equal(verifier.verify(header, 'CONNECT', 'example.com:443'), 'replayed');
});

test('missing fields, wrong password or URI, unknown and expired nonces', () => {
  let now = 1_000_000;
  const verifier = new DigestVerifier(auth, { now: () => now, nonceLifetimeMs: 1000 });
  const nonce = nonceOf(verifier.challenge());
  const target = 'example.com:443';
  const good = answer(nonce);
  for (const field of ['username', 'realm', 'nonce', 'uri', 'response', 'cnonce', 'nc']) {
    const without = good.replace(new RegExp(`\\b${field}=("[^"]*"|[^,]*)(, )?`), '');
    assert.equal(verifier.verify(without, 'CONNECT', target), 'missing', field);
  }
  assert.equal(verifier.verify('Digest', 'CONNECT', target), 'missing');
  assert.equal(verifier.verify(good, 'CONNECT', 'other.example:443'), 'wrong', 'another target');
  assert.equal(
    verifier.verify(good.replace('username="u"', 'username="v"'), 'CONNECT', target),
    'wrong',
  );
  assert.equal(
    verifier.verify(good.replace(/qop=auth/, 'qop=auth-int'), 'CONNECT', target),
    'wrong',
  );
  const wrongPassword = new DigestVerifier({ username: 'u', password: 'x' });
  const otherNonce = nonceOf(wrongPassword.challenge());
  assert.equal(wrongPassword.verify(answer(otherNonce), 'CONNECT', target), 'wrong');
  assert.equal(verifier.verify(answer('f'.repeat(32)), 'CONNECT', target), 'stale');
  now += 1001;
  assert.equal(verifier.verify(good, 'CONNECT', target), 'stale', 'expired');
});

test("the origin-form URI curl sends for a proxied GET is accepted, and sockcat's own client passes", () => {
  const verifier = new DigestVerifier(auth);
  const nonce = nonceOf(verifier.challenge());
  const uri = '/a?b=1';
  const ha1 = md5('u:sockcat:p');
  const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${md5(`GET:${uri}`)}`);
  const header = `Digest username="u", realm="sockcat", nonce="${nonce}", uri="${uri}", qop=auth, nc=00000001, cnonce="c0ffee", response="${response}"`;
  assert.equal(verifier.verify(header, 'GET', 'http://h:8080/a?b=1'), 'ok');
  const [challenge] = parseChallenges([verifier.challenge()]);
  const ours = digestAuthorization(challenge!, auth, 'CONNECT', 'h:22');
  assert.ok(ours);
  assert.equal(verifier.verify(ours, 'CONNECT', 'h:22'), 'ok');
});

test('nonces are bounded: the oldest is forgotten first', () => {
  const verifier = new DigestVerifier(auth, { maxNonces: 2 });
  const first = nonceOf(verifier.challenge());
  const second = nonceOf(verifier.challenge());
  nonceOf(verifier.challenge());
  assert.equal(verifier.verify(answer(first), 'CONNECT', 'example.com:443'), 'stale');
  assert.equal(verifier.verify(answer(second), 'CONNECT', 'example.com:443'), 'ok');
});

test('fuzz: any Proxy-Authorization value gives a verdict, never a throw, and never "ok"', () => {
  const verifier = new DigestVerifier(auth);
  const nonce = nonceOf(verifier.challenge());
  const part = fc.oneof(
    fc.constantFrom(
      'Digest ',
      'username="u"',
      'realm="sockcat"',
      `nonce="${nonce}"`,
      'uri="h:1"',
      'qop=auth',
      'nc=00000001',
      'nc=zz',
      'cnonce="x"',
      'response="00"',
      'algorithm=SHA-256',
      'algorithm=X',
      ', ',
      '"',
      '\\',
      '=',
    ),
    fc.string({ maxLength: 10 }),
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 16 }), (parts) => {
      const verdict = verifier.verify(parts.join(''), 'CONNECT', 'h:1');
      assert.ok(['missing', 'stale', 'replayed', 'wrong'].includes(verdict), verdict);
    }),
    { numRuns: 3000 },
  );
});
