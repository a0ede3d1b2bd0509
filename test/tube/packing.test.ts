import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { flat, p8, p16, p32, p64, u8, u16, u32, u64 } from '../../src/tube/packing.js';

const hex = (buffer: Buffer) => buffer.toString('hex');

test('p8..p64 pack little-endian by default, big-endian on request', () => {
  assert.equal(hex(p8(0x41)), '41');
  assert.equal(hex(p16(0x1234)), '3412');
  assert.equal(hex(p16(0x1234, { endian: 'big' })), '1234');
  assert.equal(hex(p32(0xdeadbeef)), 'efbeadde');
  assert.equal(hex(p32(0xdeadbeef, { endian: 'big' })), 'deadbeef');
  assert.equal(hex(p64(0x4006c6n)), 'c606400000000000');
  assert.equal(hex(p64(0x0102030405060708n, { endian: 'big' })), '0102030405060708');
  assert.equal(hex(p64(4198400)), '0010400000000000');
});

test("negative values pack in two's complement, as pwntools does", () => {
  assert.equal(hex(p8(-1)), 'ff');
  assert.equal(hex(p32(-1)), 'ffffffff');
  assert.equal(hex(p32(-2, { endian: 'big' })), 'fffffffe');
  assert.equal(hex(p64(-1n)), 'ffffffffffffffff');
});

test('u8..u64 unpack exactly sized bytes; 64 bits as bigint', () => {
  assert.equal(u8(Buffer.from([0xff])), 255);
  assert.equal(u8(Buffer.from([0xff]), { signed: true }), -1);
  assert.equal(u16(Buffer.from('3412', 'hex')), 0x1234);
  assert.equal(u32(Buffer.from('efbeadde', 'hex')), 0xdeadbeef);
  assert.equal(u32(Buffer.from('deadbeef', 'hex'), { endian: 'big' }), 0xdeadbeef);
  assert.equal(u32(Buffer.from('ffffffff', 'hex'), { signed: true }), -1);
  assert.equal(u64(Buffer.from('c606400000000000', 'hex')), 0x4006c6n);
  assert.equal(u64(Buffer.from('ffffffffffffffff', 'hex'), { signed: true }), -1n);
  assert.equal(
    u64(p64(0xfedcba9876543210n, { endian: 'big' }), { endian: 'big' }),
    0xfedcba9876543210n,
  );
  assert.equal(u32(new Uint8Array([1, 0, 0, 0])), 1);
});

test('bad values and sizes are ArgumentErrors that say what was wrong', () => {
  assert.throws(() => p8(256), {
    name: 'ArgumentError',
    code: 'SOCKCAT_ARGS',
    message: 'p8: 256 does not fit in 8 bits (-128 to 255)',
  });
  assert.throws(() => p32(1.5), {
    message: 'p32 needs an integer (number or bigint), not the number 1.5',
  });
  assert.throws(() => p64('1' as never), {
    message: 'p64 needs an integer (number or bigint), not a string',
  });
  assert.throws(() => p16(1, { endian: 'middle' as never }), {
    message: `p16: endian must be 'little' or 'big', not "middle"`,
  });
  assert.throws(() => u64(Buffer.alloc(6)), { message: 'u64 needs exactly 8 bytes, got 6' });
  assert.throws(() => u32('abcd' as never), ArgumentError);
});

test('flat packs words, copies strings and bytes, flattens arrays and fills offset maps', () => {
  assert.equal(hex(flat([1, 2], { wordSize: 32 })), '0100000002000000');
  assert.equal(
    hex(flat([0x4006c6n, 'AB', Buffer.from([0xcc])])),
    'c606400000000000' + '4142' + 'cc',
  );
  assert.equal(hex(flat([[1, [2]], 3], { wordSize: 8 })), '010203');
  assert.equal(hex(flat([0x11223344], { wordSize: 32, endian: 'big' })), '11223344');
  // Strings are latin1 by default: '\xff' is one byte.
  assert.equal(hex(flat(['\xff'])), 'ff');
  assert.equal(hex(flat(['\xff'], { encoding: 'utf8' })), 'c3bf');
  // Gaps of an offset map take the cyclic pattern by default, or the filler.
  assert.equal(flat({ 0: 'AA', 8: 'BB' }).toString('latin1'), 'AAaabaaaBB');
  assert.equal(flat({ 4: 'X' }, { filler: '-' }).toString('latin1'), '----X');
  assert.equal(hex(flat({ 4: 0x41 }, { wordSize: 8, filler: Buffer.from([0x90]) })), '9090909041');
});

test('flat refuses what it cannot lay out', () => {
  assert.throws(() => flat(['你']), {
    message:
      "flat: character U+4F60 at index 0 does not fit in one byte (latin1); send a Buffer or use encoding 'utf8'",
  });
  assert.throws(() => flat({ 0: 'AAAA', 2: 'B' }), {
    message: 'flat: offset 2 overlaps the value before it (which ends at 4)',
  });
  assert.throws(() => flat([null as never]), {
    message: 'flat takes numbers, bigints, strings, bytes, arrays and offset maps, not null',
  });
  assert.throws(() => flat([1], { wordSize: 24 as never }), {
    message: 'flat: wordSize must be 8, 16, 32 or 64, not the number 24',
  });
  assert.throws(() => flat([0x1ff], { wordSize: 8 }), { code: 'SOCKCAT_ARGS' });
});
