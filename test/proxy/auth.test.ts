import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseChallenges } from '../../src/proxy/auth-challenge.js';
import { basicAuthorization, basicCredentialsMatch } from '../../src/proxy/basic-auth.js';
import { digestAuthorization } from '../../src/proxy/digest.js';
import { parseProxyAuth } from '../../src/proxy/proxy-spec.js';

test('challenges: Basic, Digest with quoted params, several in one header', () => {
  assert.deepEqual(
    parseChallenges([
      'Basic realm="Ncat"',
      'Digest realm="Ncat", nonce="17.5-8d", qop="auth", Negotiate abc==, Basic realm="a\\"b"',
    ]),
    [
      { scheme: 'basic', params: { realm: 'Ncat' } },
      { scheme: 'digest', params: { realm: 'Ncat', nonce: '17.5-8d', qop: 'auth' } },
      { scheme: 'negotiate', params: {} },
      { scheme: 'basic', params: { realm: 'a"b' } },
    ],
  );
  assert.deepEqual(parseChallenges(['']), []);
  assert.deepEqual(parseChallenges(['Digest realm="unterminated']), [
    { scheme: 'digest', params: {} },
  ]);
});

test('fuzz: parseChallenges never throws', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.constantFrom('Basic', 'Digest', ' ', ',', '=', '"', '\\', 'realm', 'a', '=='), {
          maxLength: 30,
        }),
        { maxLength: 3 },
      ),
      (values) => {
        for (const challenge of parseChallenges(values.map((v) => v.join('')))) {
          assert.equal(typeof challenge.scheme, 'string');
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('Digest answer matches the one ncat 7.93 computed for the same challenge and cnonce', () => {
  // Captured from `ncat --proxy-auth joe:pw` answering a fake proxy's 407.
  const [challenge] = parseChallenges([
    'Digest realm="r", nonce="abc123", qop="auth", algorithm=MD5',
  ]);
  const answer = digestAuthorization(
    challenge!,
    { username: 'joe', password: 'pw' },
    'CONNECT',
    'localhost:80',
    '03c8b4d3221a33ea',
  );
  assert.match(answer ?? '', /response="b522f0985c23dcc49603cd5c2ce4e527"/);
  assert.match(
    answer ?? '',
    /^Digest username="joe", realm="r", nonce="abc123", uri="localhost:80"/,
  );
  assert.equal(
    digestAuthorization(
      { scheme: 'digest', params: { realm: 'r' } },
      { username: 'a', password: '' },
      'CONNECT',
      'h:1',
    ),
    undefined,
  );
});

test('Basic: the header ncat sends, and the server-side check', () => {
  const auth = { username: 'joe', password: 'pw' };
  assert.equal(basicAuthorization(auth), 'Basic am9lOnB3');
  assert.equal(basicCredentialsMatch('Basic am9lOnB3', auth), true);
  assert.equal(basicCredentialsMatch('basic  am9lOnB3 ', auth), true);
  assert.equal(basicCredentialsMatch('Basic am9lOnB4', auth), false);
  assert.equal(basicCredentialsMatch('Digest x', auth), false);
  assert.equal(basicCredentialsMatch(undefined, auth), false);
});

test("Basic credentials are encoded exactly as given, as ncat does: 'a' is YQ==, not YTo=", () => {
  const cases: Array<[string, string]> = [
    ['a', 'Basic YQ=='],
    ['', 'Basic '],
    [':a', 'Basic OmE='],
    ['a:', 'Basic YTo='],
    ['a:b:c', 'Basic YTpiOmM='],
    ['é:p', 'Basic w6k6cA=='],
  ];
  for (const [text, header] of cases) {
    const auth = parseProxyAuth(text);
    assert.equal(basicAuthorization(auth), header, text);
    assert.ok(basicCredentialsMatch(header, auth), text);
  }
  // Credentials from a URL (no text as given) are user:password.
  assert.equal(basicAuthorization({ username: 'a', password: '' }), 'Basic YTo=');
  assert.equal(basicCredentialsMatch('Basic YTo=', parseProxyAuth('a')), false);
});
