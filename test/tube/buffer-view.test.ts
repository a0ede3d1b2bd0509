import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChunkViews, view } from '../../src/tube/buffer-view.js';

test('view() is what subarray() returns: a Buffer sharing the memory', () => {
  // A buffer at a non-zero offset into larger memory, as a socket's chunks and pooled ones are.
  const pooled = Buffer.from(new ArrayBuffer(16), 3, 10);
  pooled.write('0123456789', 'latin1');
  const part = view(pooled, 2, 5);
  assert.ok(Buffer.isBuffer(part));
  assert.ok(part instanceof Buffer);
  assert.equal(part.toString(), '234');
  assert.equal(part.buffer, pooled.buffer);
  assert.equal(part.byteOffset, pooled.byteOffset + 2);
  part[0] = 0x78;
  assert.equal(pooled.toString(), '01x3456789', 'writes show through: not a copy');
  assert.equal(view(pooled, 4, 4).length, 0);
  assert.equal(typeof part.readUInt16LE, 'function', "Buffer's methods are there");
});

test('view() and ChunkViews agree with subarray() for every range', () => {
  const views = new ChunkViews();
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 64 }),
      fc.nat(),
      fc.nat(),
      fc.boolean(),
      (bytes, a, b, fresh) => {
        const chunk = Buffer.from(bytes);
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const expected = chunk.subarray(start, end);
        assert.deepEqual(view(chunk, start, end), expected);
        if (fresh) views.forget();
        const viewed = views.view(chunk, start, end);
        assert.deepEqual(viewed, expected);
        assert.equal(viewed.byteOffset, expected.byteOffset);
      },
    ),
  );
});

test('ChunkViews follows a new chunk, also one at the same offset of other memory', () => {
  const views = new ChunkViews();
  const one = Buffer.alloc(8, 0x61);
  const two = Buffer.alloc(8, 0x62);
  assert.equal(views.view(one, 0, 3).toString(), 'aaa');
  assert.equal(views.view(two, 0, 3).toString(), 'bbb');
  assert.equal(views.view(one, 5, 8).toString(), 'aaa');
  views.forget();
  assert.equal(views.view(two, 1, 2).toString(), 'b');
});
