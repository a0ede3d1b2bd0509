import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePort, validatePort } from '../../src/address/port.js';

test('parses numeric ports 0-65535', () => {
  assert.equal(parsePort('0'), 0);
  assert.equal(parsePort('80'), 80);
  assert.equal(parsePort(443), 443);
});

test('refuses out-of-range and non-numeric ports with clear messages', () => {
  assert.throws(() => parsePort('70000'), {
    code: 'SOCKCAT_ARGS',
    message: 'port 70000 is out of range (0-65535)',
  });
  assert.throws(() => parsePort('http'), { message: 'invalid port "http"' });
  assert.throws(() => parsePort('-1'), { message: 'invalid port "-1"' });
  assert.throws(() => parsePort('1e3', 'source port'), { message: 'invalid source port "1e3"' });
  assert.throws(() => validatePort(65536), { message: 'port 65536 is out of range (0-65535)' });
  assert.throws(() => validatePort(1.5), { message: 'invalid port "1.5"' });
});

test('spaces around a port are refused, not trimmed', () => {
  for (const text of [' 80', '80 ', '\t80', '8 0']) {
    assert.throws(() => parsePort(text), {
      code: 'SOCKCAT_ARGS',
      message: `invalid port ${JSON.stringify(text)}`,
    });
  }
});

test('a huge port is quoted cut short', () => {
  assert.throws(() => parsePort('9'.repeat(100_000)), {
    message: /^port "9{39}…\(99922 characters\)…9{39}" is out of range \(0-65535\)$/,
  });
});
