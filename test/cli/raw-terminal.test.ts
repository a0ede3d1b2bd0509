import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEscapeFilter } from '../../src/cli/raw-terminal.js';

const feed = (filter: ReturnType<typeof createEscapeFilter>, text: string) => {
  const { data, escaped } = filter(Buffer.from(text, 'latin1'));
  return { data: data.toString('latin1'), escaped };
};

test('Enter ~ . ends the session; the bytes before it are sent', () => {
  const filter = createEscapeFilter();
  assert.deepEqual(feed(filter, 'ls\r~.rest'), { data: 'ls\r', escaped: true });
  // At the very start of the session too.
  assert.deepEqual(feed(createEscapeFilter(), '~.'), { data: '', escaped: true });
});

test('split escape (1/2) and (2/2): ~ in one read, . in the next', () => {
  const filter = createEscapeFilter();
  assert.deepEqual(feed(filter, 'x\r~'), { data: 'x\r', escaped: false });
  assert.deepEqual(feed(filter, '.'), { data: '', escaped: true });
});

test('~ ~ sends one ~; ~ elsewhere or before another key is sent as typed', () => {
  const filter = createEscapeFilter();
  assert.deepEqual(feed(filter, '~~'), { data: '~', escaped: false });
  assert.deepEqual(feed(filter, '.'), { data: '.', escaped: false }); // not at a line start now
  assert.deepEqual(feed(filter, 'a~.'), { data: 'a~.', escaped: false });
  assert.deepEqual(feed(filter, '\n~x'), { data: '\n~x', escaped: false });
});
