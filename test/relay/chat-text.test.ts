// Chat text: control characters escaped as ncat writes them, UTF-8 kept, lines cut safely.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControls, LineSplitter } from '../../src/relay/chat-text.js';

const escaped = (bytes: number[] | string) =>
  escapeControls(
    typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes),
  ).toString('latin1');

test('escapeControls: every C0 control but LF, DEL and ESC sequences become \\ooo', () => {
  assert.equal(escaped('\x1b[2J\x07'), '\\033[2J\\007');
  assert.equal(escaped('a\tb'), 'a\\011b');
  assert.equal(escaped('\x00\x7f'), '\\000\\177');
  assert.equal(escaped('line\n'), 'line\n');
  // CR only as part of CRLF; a lone CR could overwrite the line (and fake a prefix).
  assert.equal(escaped('a\r\n'), 'a\r\n');
  assert.equal(escaped('a\rb'), 'a\\015b');
  assert.equal(escaped('a\r'), 'a\\015');
});

test('escapeControls: C1 controls (UTF-8 or raw) and invalid UTF-8 are escaped; text is not', () => {
  assert.equal(escaped([0xc2, 0x9b]), '\\302\\233'); // U+009B, the one-byte CSI, as UTF-8
  assert.equal(escaped([0x9b, 0x32, 0x4a]), '\\2332J'); // raw 0x9B
  assert.equal(escaped([0xff, 0xc0, 0x80]), '\\377\\300\\200'); // invalid, overlong
  assert.equal(escaped([0xed, 0xa0, 0x80]), '\\355\\240\\200'); // a UTF-16 surrogate
  assert.equal(escaped([0xe4, 0xbd]), '\\344\\275'); // truncated sequence
  const text = 'héllo 你好 😀 \u00a0';
  assert.equal(escapeControls(Buffer.from(text)).toString('utf8'), text);
});

test('escapeControls: every byte value either passes or becomes a \\ooo escape', () => {
  for (let byte = 0; byte < 256; byte++) {
    const out = escaped([byte]);
    const printable = (byte >= 0x20 && byte < 0x7f) || byte === 0x0a;
    assert.equal(
      out,
      printable ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`,
    );
  }
});

test('LineSplitter: one line per LF, unfinished lines held, flushed at EOF', () => {
  const split = new LineSplitter(16);
  assert.deepEqual(split.push(Buffer.from('par')).map(String), []);
  assert.deepEqual(split.push(Buffer.from('tial\nnext\nrest')).map(String), [
    'partial\n',
    'next\n',
  ]);
  assert.equal(split.held, 4);
  assert.equal(split.flush()?.toString(), 'rest');
  assert.equal(split.flush(), undefined);
});

test('LineSplitter: an over-long line is cut at the limit, never inside a character', () => {
  const split = new LineSplitter(8);
  // 6 ASCII bytes then a 3-byte character straddling the limit of 8.
  const pieces = split.push(Buffer.from('abcdef你gh'));
  assert.deepEqual(pieces.map(String), ['abcdef']);
  assert.equal(split.flush()?.toString(), '你gh');
  const long = new LineSplitter(4);
  assert.deepEqual(long.push(Buffer.from('abcdefghij\n')).map(String), ['abcdefghij\n']);
  assert.deepEqual(long.push(Buffer.from('abcdefghij')).map(String), ['abcd', 'efgh']);
});
