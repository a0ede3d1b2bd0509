import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHexDump } from '../../src/relay/hexdump.js';

test("byte-exact against ncat 7.93's -x output", () => {
  // Captured from: printf 'hello world, this is a test of the hex dump\0\1\377' | ncat -x FILE ...
  const input = Buffer.concat([
    Buffer.from('hello world, this is a test of the hex dump'),
    Buffer.from([0, 1, 0xff]),
  ]);
  assert.equal(
    formatHexDump(input),
    [
      '0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello.world,.thi',
      '0010   73 20 69 73 20 61 20 74  65 73 74 20 6f 66 20 74  s.is.a.test.of.t',
      '0020   68 65 20 68 65 78 20 64  75 6d 70 00 01 ff        he.hex.dump...  ',
      '',
    ].join('\n'),
  );
  assert.equal(
    formatHexDump(Buffer.from('server says hi\n')),
    '0000   73 65 72 76 65 72 20 73  61 79 73 20 68 69 0a     server.says.hi. \n',
  );
  assert.equal(formatHexDump(Buffer.alloc(0)), '');
});
