import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatHostPort, parseHostPort, unbracket } from '../../src/address/host-port.js';
import { ArgumentError } from '../../src/errors.js';

test('parses host:port, [v6]:port and :port', () => {
  assert.deepEqual(parseHostPort('example.com:80'), { host: 'example.com', port: 80 });
  assert.deepEqual(parseHostPort('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseHostPort('[::1]:443'), { host: '::1', port: 443 });
  assert.deepEqual(parseHostPort('[fe80::1%eth0]:22'), { host: 'fe80::1%eth0', port: 22 });
  assert.deepEqual(parseHostPort(':8080'), { host: '', port: 8080 });
});

test('rejects malformed addresses with messages that quote the input', () => {
  const cases: Array<[string, string]> = [
    ['example.com', 'invalid address "example.com": missing ":port"'],
    ['::1:80', 'invalid address "::1:80": write IPv6 addresses as "[addr]:port"'],
    ['[::1', 'invalid address "[::1": missing "]"'],
    ['[::1]', 'invalid address "[::1]": missing ":port"'],
    ['[nothost]:1', 'invalid address "[nothost]:1": not an IPv6 address'],
    ['host:70000', 'port 70000 is out of range (0-65535)'],
    ['host:http', 'invalid port "http"'],
    ['host:', 'invalid port ""'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseHostPort(input), {
      name: 'ArgumentError',
      code: 'SOCKCAT_ARGS',
      message,
    });
  }
});

test('format and parse round-trip for any host and port', () => {
  const host = fc.oneof(
    fc.domain(),
    fc.ipV4(),
    fc.ipV6().filter((ip) => !ip.includes('.')),
  );
  fc.assert(
    fc.property(host, fc.integer({ min: 0, max: 65535 }), (h, port) => {
      assert.deepEqual(parseHostPort(formatHostPort(h, port)), { host: h, port });
    }),
  );
});

test('parseHostPort throws only ArgumentError, whatever the input', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (text) => {
      try {
        parseHostPort(text);
      } catch (error) {
        assert.ok(error instanceof ArgumentError, String(error));
      }
    }),
  );
});

test('unbracket strips one pair of brackets', () => {
  assert.equal(unbracket('[::1]'), '::1');
  assert.equal(unbracket('::1'), '::1');
  assert.equal(unbracket('host'), 'host');
  assert.throws(() => unbracket('[::1'), {
    code: 'SOCKCAT_ARGS',
    message: 'invalid address "[::1": missing "]"',
  });
});
