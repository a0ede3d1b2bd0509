// Known answers from pwntools' documentation (pwnlib/util/cyclic.py docstrings).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cyclic, cyclicFind } from '../../src/tube/cyclic.js';

const text = (buffer: Buffer) => buffer.toString('latin1');

test('cyclic matches pwntools byte for byte', () => {
  assert.equal(text(cyclic(20)), 'aaaabaaacaaadaaaeaaa');
  assert.equal(text(cyclic(32)), 'aaaabaaacaaadaaaeaaafaaagaaahaaa');
  assert.equal(
    text(cyclic(20, { alphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' })),
    'AAAABAAACAAADAAAEAAA',
  );
  assert.equal(text(cyclic(20, { n: 8 })), 'aaaaaaaabaaaaaaacaaa');
  assert.equal(text(cyclic(20, { n: 2 })), 'aabacadaeafagahaiaja');
  assert.equal(text(cyclic(27, { alphabet: 'ABC', n: 3 })), 'AAABAACABBABCACBACCBBBCBCCC');
  assert.equal(text(cyclic(10, { alphabet: 'ABC' })), 'AAAABAAACA');
  assert.equal(cyclic(0).length, 0);
  // The whole default sequence: 26^4 bytes, every window distinct.
  const all = cyclic(26 ** 4);
  const windows = new Set<string>();
  for (let i = 0; i + 4 <= all.length; i += 997) windows.add(text(all.subarray(i, i + 4)));
  assert.equal(windows.size, Math.ceil((all.length - 3) / 997));
  // pwntools' cyclic_gen docs show how the whole sequence ends.
  assert.ok(text(all).endsWith('yyxzyzxzzyxzzzyyyyzyyzzyzyzzzz'));
});

test('cyclicFind matches pwntools', () => {
  assert.equal(cyclicFind(Buffer.from('baaa')), 4);
  assert.equal(cyclicFind('baaacaaa'), 4);
  assert.equal(cyclicFind('baaacaaa', { n: 8 }), 3515208);
  assert.equal(cyclicFind(cyclic(1000).subarray(514, 518)), 514);
  assert.equal(cyclicFind(0x61616162), 4);
  assert.equal(cyclicFind(0x61616162, { endian: 'big' }), 1);
  assert.equal(cyclicFind(0x6161616361616162n), 4);
  assert.equal(cyclicFind(0x6261616163616161n, { endian: 'big' }), 4);
  assert.equal(cyclicFind(0, { alphabet: Buffer.from('DEADBEEF00', 'hex') }), 621);
  assert.equal(cyclicFind('racz'), 7760);
  assert.equal(cyclicFind('AAAA'), -1);
});

test('bad arguments are ArgumentErrors', () => {
  assert.throws(() => cyclic(28, { alphabet: 'ABC', n: 3 }), {
    code: 'SOCKCAT_ARGS',
    message: 'cyclic: a pattern of 28 bytes cannot be made of 3 symbols with n = 3 (at most 27)',
  });
  assert.throws(() => cyclic(-1), {
    message: 'cyclic needs a length (an integer >= 0), not the number -1',
  });
  assert.throws(() => cyclic(4, { alphabet: 'AA' }), {
    message: 'cyclic: alphabet repeats a symbol',
  });
  assert.throws(() => cyclicFind('ab'), { message: 'cyclicFind needs 4 bytes (n = 4), got 2' });
  assert.throws(() => cyclicFind({} as never), { code: 'SOCKCAT_ARGS' });
});
