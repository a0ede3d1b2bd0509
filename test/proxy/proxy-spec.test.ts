import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatProxy,
  parseProxyAuth,
  parseProxyChain,
  parseProxySpec,
} from '../../src/proxy/proxy-spec.js';

const http = { type: 'http' as const };

test('plain hops take the type and its well-known port (3128 http, 1080 socks, as ncat)', () => {
  assert.deepEqual(parseProxySpec('10.0.0.1', http), {
    type: 'http',
    host: '10.0.0.1',
    port: 3128,
  });
  assert.deepEqual(parseProxySpec('h', { type: 'socks4' }), {
    type: 'socks4',
    host: 'h',
    port: 1080,
  });
  assert.deepEqual(parseProxySpec('h:8080', { type: 'socks5' }), {
    type: 'socks5',
    host: 'h',
    port: 8080,
  });
  assert.deepEqual(parseProxySpec('[::1]:9', http), { type: 'http', host: '::1', port: 9 });
  assert.deepEqual(parseProxySpec('::1', http), { type: 'http', host: '::1', port: 3128 });
  const auth = { username: 'u', password: 'p' };
  assert.deepEqual(parseProxySpec('h', { type: 'http', auth }), {
    type: 'http',
    host: 'h',
    port: 3128,
    auth,
  });
});

test('URL hops carry their own type and credentials (percent-decoded)', () => {
  assert.deepEqual(
    parseProxySpec('socks5://us%40r:p%3Ass@h:1081', {
      type: 'http',
      auth: { username: 'x', password: 'y' },
    }),
    {
      type: 'socks5',
      host: 'h',
      port: 1081,
      auth: { username: 'us@r', password: 'p:ss' },
    },
  );
  assert.deepEqual(parseProxySpec('socks4a://h', http), { type: 'socks4', host: 'h', port: 1080 });
  assert.deepEqual(parseProxySpec('http://[::1]/', http), {
    type: 'http',
    host: '::1',
    port: 3128,
  });
});

test('chains: repeated flags and comma lists, in order', () => {
  const chain = parseProxyChain(['socks5://a:1', 'b:2,http://c'], { type: 'socks4' });
  assert.deepEqual(chain.map(formatProxy), ['socks5://a:1', 'socks4://b:2', 'http://c:3128']);
});

test('bad hops are one-line ArgumentErrors that never echo a password', () => {
  const cases: Array<[string, string]> = [
    [
      'ftp://h',
      'invalid --proxy "ftp://h": unknown scheme "ftp" (use http, socks4, socks4a or socks5)',
    ],
    ['h:99999', 'invalid --proxy "h:99999": bad port "99999"'],
    ['', 'invalid --proxy "": empty proxy address'],
    ['socks5://u:secret@h:x', 'invalid --proxy "socks5://u:***@h:x": bad port "x"'],
    ['http://h/path', 'invalid --proxy "http://h/path": a proxy URL has no path'],
    ['a b', 'invalid --proxy "a b": not a host name or address'],
    ['[::1', 'invalid --proxy "[::1": missing "]"'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseProxySpec(input, http), { code: 'SOCKCAT_ARGS', message }, input);
  }
});

test('credentials: user:pass, user alone (SOCKS4), colons in the password, the text kept as given', () => {
  assert.deepEqual(parseProxyAuth('u:p:q'), { username: 'u', password: 'p:q', text: 'u:p:q' });
  assert.deepEqual(parseProxyAuth('joe'), { username: 'joe', password: '', text: 'joe' });
  // As ncat: an empty user name is taken (HTTP Basic sends it; SOCKS5 refuses it in args).
  assert.deepEqual(parseProxyAuth(':p'), { username: '', password: 'p', text: ':p' });
  assert.deepEqual(parseProxyAuth(''), { username: '', password: '', text: '' });
});
