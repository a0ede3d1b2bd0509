// io.read's formats over a growing buffer, as liolib.c reads a FILE*: known answers for each
// format, and any split of the input into arrivals giving the same answers as all of it at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type LuaReadFormat, takeFormat } from '../../src/relay/lua-read.js';

/** The values a sequence of reads returns over `input` (undefined for fail), arrival by arrival. */
function readAll(chunks: Buffer[], formats: LuaReadFormat[]): (string | undefined)[] {
  let buffer = Buffer.alloc(0);
  let next = 0;
  const out: (string | undefined)[] = [];
  for (const format of formats) {
    for (;;) {
      const eof = next === chunks.length;
      const result = takeFormat(buffer, eof, format);
      if (result.kind === 'done') {
        out.push(result.value?.toString('latin1'));
        buffer = buffer.subarray(result.consumed);
        break;
      }
      assert.equal(eof, false, 'more asked for after the end of the input');
      buffer = Buffer.concat([buffer, chunks[next++] as Buffer]);
    }
  }
  return out;
}

test('lines: "l" drops the newline, "L" keeps it, the last line needs none, then fail', () => {
  const input = [Buffer.from('one\ntwo\nthree')];
  assert.deepEqual(readAll(input, ['l', 'L', 'l', 'l', 'L']), [
    'one',
    'two\n',
    'three',
    undefined,
    undefined,
  ]);
  assert.deepEqual(readAll([Buffer.from('\n\n')], ['l', 'L', 'l']), ['', '\n', undefined]);
});

test('counts: up to n bytes at the end, fail after it; 0 tests for the end', () => {
  const input = [Buffer.from('abcdef')];
  assert.deepEqual(readAll(input, [0, 4, 4, 0, 1]), ['', 'abcd', 'ef', undefined, undefined]);
});

test('"a" is everything to the end, and "" once at the end (never fail)', () => {
  assert.deepEqual(readAll([Buffer.from('x\ny')], ['l', 'a', 'a']), ['x', 'y', '']);
  assert.deepEqual(readAll([], ['a']), ['']);
});

test('"n": white space skipped, the longest numeral prefix taken, the next byte left', () => {
  const input = [Buffer.from('  42 -7.5e2\n0x1Fp1 .5 12abc')];
  assert.deepEqual(readAll(input, ['n', 'n', 'n', 'n', 'n', 'l']), [
    '42',
    '-7.5e2',
    '0x1Fp1',
    '.5',
    '12',
    'abc',
  ]);
});

test('"n" stops where a decimal numeral ends and leaves the rest', () => {
  assert.deepEqual(readAll([Buffer.from('12junk')], ['n', 'l']), ['12', 'junk']);
  assert.deepEqual(readAll([Buffer.from('   ')], ['n']), ['']);
  assert.deepEqual(readAll([Buffer.from('-')], ['n', 'a']), ['-', '']);
});

test('"n" longer than 200 characters fails', () => {
  const long = `${'1'.repeat(250)}\n`;
  const [value] = readAll([Buffer.from(long)], ['n']);
  assert.equal(value, undefined);
});

test('any split of the input into arrivals gives the same answers', () => {
  const formats = fc.array(
    fc.oneof(fc.constantFrom<LuaReadFormat>('l', 'L', 'n', 'a'), fc.integer({ min: 0, max: 5 })),
    { minLength: 1, maxLength: 8 },
  );
  const input = fc.string({ unit: fc.constantFrom('1', 'a', ' ', '\n', '.', 'x', '-', 'e', '0') });
  fc.assert(
    fc.property(input, formats, fc.array(fc.nat()), (text, list, cuts) => {
      const bytes = Buffer.from(text, 'latin1');
      const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
        (a, b) => a - b,
      );
      const chunks: Buffer[] = [];
      let from = 0;
      for (const point of [...points, bytes.length]) {
        if (point > from) chunks.push(bytes.subarray(from, point));
        from = Math.max(from, point);
      }
      assert.deepEqual(readAll(chunks, list), readAll([bytes], list));
    }),
    { numRuns: 300 },
  );
});
