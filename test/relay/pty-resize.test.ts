// The in-band window size of --pty-resize (Telnet NAWS framing, one direction): frames and
// escaped data round-trip through any split, and bytes that are not a frame are never lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createResizeDecoder, encodeWindowSize, escapeData } from '../../src/relay/pty-resize.js';

test('a window size is IAC SB NAWS cols rows IAC SE, a 255 inside doubled', () => {
  assert.deepEqual(
    [...encodeWindowSize({ cols: 100, rows: 30 })],
    [255, 250, 31, 0, 100, 0, 30, 255, 240],
  );
  assert.deepEqual(
    [...encodeWindowSize({ cols: 255, rows: 0x1ff })],
    [255, 250, 31, 0, 255, 255, 1, 255, 255, 255, 240],
  );
});

test('data: each 255 doubled; a chunk without one is passed as it is', () => {
  const plain = Buffer.from('ls -l\r');
  assert.equal(escapeData(plain), plain);
  assert.deepEqual([...escapeData(Buffer.from([1, 255, 2, 255]))], [1, 255, 255, 2, 255, 255]);
});

test('the decoder takes frames out and unescapes data, across every split', () => {
  const wire = Buffer.concat([
    escapeData(Buffer.from([104, 255, 105])),
    encodeWindowSize({ cols: 255, rows: 43 }),
    escapeData(Buffer.from('tty\r')),
    encodeWindowSize({ cols: 132, rows: 255 }),
  ]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const decode = createResizeDecoder();
    const first = decode(wire.subarray(0, cut));
    const second = decode(wire.subarray(cut));
    assert.deepEqual(
      Buffer.concat([first.data, second.data]),
      Buffer.from([104, 255, 105, 116, 116, 121, 13]),
      `cut ${cut}`,
    );
    assert.deepEqual(
      [...first.sizes, ...second.sizes],
      [
        { cols: 255, rows: 43 },
        { cols: 132, rows: 255 },
      ],
    );
  }
});

test('property: any data and sizes, in any chunks, come back as they were sent', () => {
  const item = fc.oneof(
    fc.uint8Array({ maxLength: 20 }).map((bytes) => ({ data: Buffer.from(bytes) })),
    fc.record({
      cols: fc.integer({ min: 1, max: 65535 }),
      rows: fc.integer({ min: 1, max: 65535 }),
    }),
  );
  fc.assert(
    fc.property(
      fc.array(item, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (items, cuts) => {
        const wire = Buffer.concat(
          items.map((entry) =>
            'data' in entry ? escapeData(entry.data) : encodeWindowSize(entry),
          ),
        );
        const decode = createResizeDecoder();
        const data: Buffer[] = [];
        const sizes: unknown[] = [];
        let from = 0;
        for (const cut of [
          ...cuts.map((c) => c % (wire.length + 1)).sort((a, b) => a - b),
          wire.length,
        ]) {
          if (cut < from) continue;
          const out = decode(wire.subarray(from, cut));
          data.push(out.data);
          sizes.push(...out.sizes);
          from = cut;
        }
        assert.deepEqual(
          Buffer.concat(data),
          Buffer.concat(items.flatMap((entry) => ('data' in entry ? [entry.data] : []))),
        );
        assert.deepEqual(
          sizes,
          items.flatMap((entry) =>
            'data' in entry ? [] : [{ cols: entry.cols, rows: entry.rows }],
          ),
        );
      },
    ),
  );
});

test('bytes after an IAC that are not a frame are passed on, IAC included', () => {
  const decode = createResizeDecoder();
  assert.deepEqual([...decode(Buffer.from([65, 255, 251, 1])).data], [65, 255, 251, 1]);
  assert.deepEqual([...decode(Buffer.from([255, 250, 24, 66])).data], [255, 250, 24, 66]);
  const broken = decode(Buffer.from([255, 250, 31, 0, 80, 0, 24, 67]));
  assert.deepEqual([...broken.data], [255, 250, 31, 0, 80, 0, 24, 67]);
  assert.deepEqual(broken.sizes, []);
});
