import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ReceiveBuffer } from '../../src/tube/receive-buffer.js';

function bufferOf(...chunks: string[]): ReceiveBuffer {
  const buffer = new ReceiveBuffer();
  for (const chunk of chunks) buffer.push(Buffer.from(chunk, 'latin1'));
  return buffer;
}

test('split delimiter vectors', async (t) => {
  const vectors: Array<[string, string[], string, number]> = [
    ['delimiter inside one chunk', ['abc\r\ndef'], '\r\n', 3],
    ['split delimiter (1/2)', ['abc\r', '\ndef'], '\r\n', 3],
    ['split delimiter (2/2)', ['abc', '\r\n', 'def'], '\r\n', 3],
    ['delimiter across three chunks', ['ab', 'E', 'N', 'Dxy'], 'END', 2],
    ['false start before a split match', ['aEE', 'ND'], 'END', 2],
    ['delimiter at the very start', ['\n', 'x'], '\n', 0],
    ['no delimiter', ['abc', 'def'], 'x', -1],
    ['partial delimiter at the end', ['abc', 'EN'], 'END', -1],
  ];
  for (const [name, chunks, delimiter, expected] of vectors) {
    await t.test(name, () => {
      assert.equal(bufferOf(...chunks).indexOf(Buffer.from(delimiter, 'latin1')), expected);
    });
  }
});

test('consume returns views inside one chunk and copies across chunks', () => {
  const first = Buffer.from('hello');
  const buffer = new ReceiveBuffer();
  buffer.push(first);
  buffer.push(Buffer.from(' world'));
  const head = buffer.consume(2);
  assert.equal(head.toString(), 'he');
  assert.equal(head.buffer, first.buffer, 'a view, not a copy');
  assert.equal(buffer.consume(6).toString(), 'llo wo');
  assert.equal(buffer.length, 3);
  assert.equal(buffer.peek().toString(), 'rld');
  assert.equal(buffer.clear().toString(), 'rld');
  assert.equal(buffer.length, 0);
});

test('unshift puts bytes back in front', () => {
  const buffer = bufferOf('abc', 'def');
  const taken = buffer.consume(4);
  buffer.unshift(taken);
  assert.equal(buffer.peek().toString(), 'abcdef');
});

test('resuming a search from searchedUpTo finds the same match as a full search', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 12 }),
      fc.uint8Array({ minLength: 1, maxLength: 3 }),
      (chunks, delimiterBytes) => {
        const delimiter = Buffer.from(delimiterBytes);
        const incremental = new ReceiveBuffer();
        let from = 0;
        let found = -1;
        for (const chunk of chunks) {
          incremental.push(Buffer.from(chunk));
          found = incremental.indexOf(delimiter, from);
          if (found !== -1) break;
          from = incremental.searchedUpTo(delimiter.length);
        }
        const whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const expected = whole.subarray(0, incremental.length).indexOf(delimiter);
        assert.equal(found, expected);
      },
    ),
    { numRuns: 3000 },
  );
});

test('any split of the input into chunks gives the same consume/indexOf results', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.nat(200), { maxLength: 20 }),
      fc.array(fc.nat(40), { maxLength: 10 }),
      (bytes, cuts, takes) => {
        const data = Buffer.from(bytes);
        const buffer = new ReceiveBuffer();
        let last = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const at = Math.min(cut, data.length);
          buffer.push(data.subarray(last, at));
          last = Math.max(last, at);
        }
        buffer.push(data.subarray(last));
        let offset = 0;
        for (const take of takes) {
          const expected = data.subarray(offset, offset + take);
          assert.deepEqual(buffer.consume(take), expected);
          offset += expected.length;
          assert.equal(buffer.length, data.length - offset);
        }
        const newline = data.subarray(offset).indexOf(0x0a);
        assert.equal(buffer.indexOf(Buffer.from([0x0a])), newline);
      },
    ),
    { numRuns: 2000 },
  );
});

test('any mix of push, consume, line reads, unshift, peek and indexOf matches a plain byte model', () => {
  const op = fc.oneof(
    fc.record({ push: fc.uint8Array({ maxLength: 16 }).map((bytes) => bytes.map((b) => b % 4)) }),
    fc.record({ consume: fc.nat(20) }),
    fc.record({ line: fc.boolean() }),
    fc.record({ unshift: fc.uint8Array({ maxLength: 6 }).map((bytes) => bytes.map((b) => b % 4)) }),
    fc.record({ peek: fc.nat(20) }),
    fc.record({ find: fc.nat(20) }),
  );
  const NL = Buffer.from([0]);
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const buffer = new ReceiveBuffer();
      let model = Buffer.alloc(0);
      for (const step of ops) {
        if ('push' in step) {
          buffer.push(Buffer.from(step.push));
          model = Buffer.concat([model, step.push]);
        } else if ('consume' in step) {
          const n = Math.min(step.consume, model.length);
          assert.deepEqual(buffer.consume(step.consume), model.subarray(0, n));
          model = model.subarray(n);
        } else if ('line' in step) {
          const got = buffer.consumeThroughInHead(NL, step.line);
          if (got !== undefined) {
            const end = model.indexOf(0) + 1;
            assert.deepEqual(got, model.subarray(0, step.line ? end - 1 : end));
            model = model.subarray(end);
          }
        } else if ('unshift' in step) {
          buffer.unshift(Buffer.from(step.unshift));
          model = Buffer.concat([step.unshift, model]);
        } else if ('peek' in step) {
          assert.deepEqual(buffer.peek(step.peek), model.subarray(0, step.peek));
        } else {
          const pair = Buffer.from([1, 2]);
          assert.equal(buffer.indexOf(pair, step.find), model.indexOf(pair, step.find));
        }
        assert.equal(buffer.length, model.length);
      }
      assert.deepEqual(buffer.clear(), model);
    }),
  );
});
