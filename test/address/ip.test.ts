import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { ipFamily, isIPv4, isIPv6 } from '../../src/address/ip.js';

test('recognises IPv4 literals', () => {
  for (const ok of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.0.0.1'])
    assert.ok(isIPv4(ok), ok);
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '', '1.2.3.4 ']) {
    assert.ok(!isIPv4(bad), bad);
  }
});

test('recognises IPv6 literals, compressed, with IPv4 tails and zones', () => {
  for (const ok of [
    '::',
    '::1',
    'fe80::1%eth0',
    '2001:db8::8a2e:370:7334',
    '::ffff:1.2.3.4',
    '1:2:3:4:5:6:7:8',
  ]) {
    assert.ok(isIPv6(ok), ok);
  }
  for (const bad of [
    '1:2:3:4:5:6:7:8:9',
    ':::',
    '1::2::3',
    'g::1',
    '::1%',
    '1.2.3.4',
    'host',
    '[::1]',
  ]) {
    assert.ok(!isIPv6(bad), bad);
  }
});

test('agrees with node:net isIP on generated addresses and arbitrary strings', () => {
  const candidates = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc.string({ maxLength: 45 }),
  );
  fc.assert(
    fc.property(candidates, (text) => {
      assert.equal(ipFamily(text), isIP(text), text);
    }),
    { numRuns: 2000 },
  );
});
