// Unix socket paths the kernel cannot hold are refused, never cut short.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_QUOTED_INPUT, quoteInput } from '../../src/address/quote.js';
import { checkUnixPath, MAX_UNIX_PATH_BYTES } from '../../src/address/unix-path.js';

test('paths up to 107 bytes pass, 108 and more are refused with the limit and the way out', () => {
  const fits = `/tmp/${'a'.repeat(MAX_UNIX_PATH_BYTES - 5)}`;
  assert.equal(checkUnixPath(fits), fits);
  const long = `${fits}b`;
  assert.throws(() => checkUnixPath(long), {
    code: 'SOCKCAT_ARGS',
    message: `Unix socket path ${quoteInput(long)} is 108 bytes long; the kernel's limit is 107 (sun_path is 108 bytes): use a shorter path or an abstract name (@name)`,
  });
});

test('bytes are counted, not characters', () => {
  const path = `/tmp/${'é'.repeat(52)}`; // 5 + 104 bytes, 57 characters
  assert.throws(() => checkUnixPath(path), /is 109 bytes long/);
});

test('abstract names: 107 bytes after the "@"', () => {
  const name = `@${'n'.repeat(MAX_UNIX_PATH_BYTES)}`;
  assert.equal(checkUnixPath(name), name);
  assert.throws(() => checkUnixPath(`${name}x`), {
    code: 'SOCKCAT_ARGS',
    message: `abstract socket name ${quoteInput(`${name}x`)} is 108 bytes long; the kernel's limit is 107 (sun_path is 108 bytes): use a shorter name`,
  });
});

test('empty paths and a bare "@" are refused', () => {
  assert.throws(() => checkUnixPath(''), { message: 'invalid Unix socket path ""' });
  assert.throws(() => checkUnixPath('@'), { message: 'invalid Unix socket path "@"' });
});

test('quoteInput keeps short input whole and cuts long input in the middle', () => {
  assert.equal(quoteInput('a"b'), '"a\\"b"');
  const long = `${'x'.repeat(50)}${'y'.repeat(100_000)}${'z'.repeat(50)}`;
  const quoted = quoteInput(long);
  assert.ok(quoted.length < MAX_QUOTED_INPUT + 40, quoted);
  assert.match(quoted, /^"x{39}…\(100022 characters\)…z{39}"$/);
});
