import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';

test('no --ssl option: no TLS', () => {
  assert.equal(parseArgs(['host', '1']).tls, undefined);
});

test('--ssl alone: TLS without verification, nothing else set', () => {
  assert.deepEqual(parseArgs(['--ssl', 'host', '1']).tls, {
    certFile: undefined,
    keyFile: undefined,
    verify: false,
    trustFile: undefined,
    ciphers: undefined,
    servername: undefined,
    alpn: undefined,
    pin: undefined,
    minVersion: undefined,
  });
});

test('every --ssl-* option implies --ssl, as in ncat', () => {
  const pin = `sha256:${'0a'.repeat(32)}`;
  const cases: Array<[string[], Partial<NonNullable<ReturnType<typeof parseArgs>['tls']>>]> = [
    [['--ssl-verify'], { verify: true }],
    [['--ssl-trustfile', 'ca.pem'], { trustFile: 'ca.pem' }],
    [['--ssl-ciphers', 'ECDHE+AESGCM'], { ciphers: 'ECDHE+AESGCM' }],
    [['--ssl-servername', 'example.com'], { servername: 'example.com' }],
    [['--ssl-alpn', 'h2,http/1.1'], { alpn: ['h2', 'http/1.1'] }],
    [['--ssl-pin', pin], { pin }],
    [['--ssl-min-version', 'TLSv1.3'], { minVersion: 'TLSv1.3' }],
    [['--ssl-min-version', '1.2'], { minVersion: 'TLSv1.2' }],
    [['--ssl-cert', 'c.pem', '--ssl-key', 'k.pem'], { certFile: 'c.pem', keyFile: 'k.pem' }],
  ];
  for (const [flags, expected] of cases) {
    const tls = parseArgs([...flags, 'host', '1']).tls;
    assert.ok(tls, flags.join(' '));
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(tls[key as keyof typeof tls], value, flags.join(' '));
    }
  }
});

test('bad values: one-line ArgumentError naming the flag', () => {
  const cases: Array<[string[], string]> = [
    [['--ssl-key', 'k.pem', 'h', '1'], '--ssl-key needs --ssl-cert'],
    [
      ['-l', '--ssl-servername', 'x', '1'],
      '--ssl-servername sets the name a client asks for; it does not apply to -l',
    ],
    [
      ['--ssl-min-version', 'SSLv3', 'h', '1'],
      'invalid --ssl-min-version "SSLv3" (use TLSv1.2 or TLSv1.3)',
    ],
    [
      ['--ssl-pin', 'sha1:00', 'h', '1'],
      'invalid --ssl-pin "sha1:00": expected sha256: and 64 hex digits or 44 base64 characters',
    ],
    [['--ssl-ciphers', ' ', 'h', '1'], 'option --ssl-ciphers needs a cipher list'],
    [['-z', '--ssl', 'h', '1'], '-z only checks that ports answer; it cannot be used with --ssl'],
    [
      ['--proxy-protocol', 'v1', '--ssl', 'h', '1'],
      '--proxy-protocol cannot be used with --ssl yet',
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv), { code: 'SOCKCAT_ARGS', message }, argv.join(' '));
  }
});

test('UDP: --ssl is DTLS, and the --ssl-* options parse as for TLS', () => {
  const options = parseArgs(['-u', '--ssl-verify', '--ssl-alpn', 'coap', 'host', '5684']);
  assert.equal(options.udp, true);
  assert.equal(options.tls?.verify, true);
  assert.deepEqual(options.tls?.alpn, ['coap']);
});
