import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bitString,
  children,
  oid,
  readElement,
  sequence,
  time,
  tlv,
  unsignedInteger,
} from '../../src/tls/der.js';

test('der: OIDs, integers and bit strings as X.690 encodes them', () => {
  assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
  assert.equal(unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080');
  assert.equal(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex'), '020105');
  assert.equal(bitString(Buffer.from([0x80]), 7).toString('hex'), '03020780');
});

test('der: long lengths, and reading back what was written', () => {
  const big = tlv(0x04, Buffer.alloc(300, 7));
  assert.equal(big.subarray(0, 4).toString('hex'), '0482012c');
  const outer = sequence(big, oid('2.5.4.3'));
  const [first, second] = children(readElement(outer).contents);
  assert.equal(first?.contents.length, 300);
  assert.deepEqual(second?.raw, oid('2.5.4.3'));
  assert.throws(() => readElement(outer.subarray(0, 10)), /truncated/);
});

test('der: UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280)', () => {
  assert.equal(
    time(new Date(Date.UTC(2026, 11, 2, 1, 2, 3))).toString('latin1', 2),
    '261202010203Z',
  );
  assert.equal(time(new Date(Date.UTC(2026, 0, 1))).readUInt8(0), 0x17);
  const later = time(new Date(Date.UTC(2050, 0, 1)));
  assert.equal(later.readUInt8(0), 0x18);
  assert.equal(later.toString('latin1', 2), '20500101000000Z');
});
