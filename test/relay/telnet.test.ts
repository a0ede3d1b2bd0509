// The -t Telnet parser: refusals byte-exact, commands taken out of the data, any split the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createTelnetParser, TelnetCommand, type TelnetOutput } from '../../src/relay/telnet.js';

const { IAC, DO, DONT, WILL, WONT, SB, SE, NOP, GoAhead } = TelnetCommand;

/** Feed every chunk to a fresh parser; the data and the replies, concatenated. */
function run(chunks: Buffer[]): { data: Buffer; reply: Buffer } {
  const parser = createTelnetParser();
  const outputs: TelnetOutput[] = chunks.map((chunk) => parser.feed(chunk));
  return {
    data: Buffer.concat(outputs.map((o) => o.data)),
    reply: Buffer.concat(outputs.map((o) => o.reply)),
  };
}

const bytes = (...values: Array<number | string>) =>
  Buffer.concat(values.map((v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from([v]))));

test('DO x is refused with WONT x, WILL x with DONT x; the commands leave the data', () => {
  const out = run([bytes(IAC, DO, 1, IAC, WILL, 3, 'hi')]);
  assert.deepEqual(out.reply, bytes(IAC, WONT, 1, IAC, DONT, 3));
  assert.deepEqual(out.data, Buffer.from('hi'));
});

test('DONT, WONT, NOP, GA and other commands get no answer and are removed', () => {
  const out = run([bytes('a', IAC, DONT, 1, IAC, WONT, 3, IAC, NOP, IAC, GoAhead, IAC, 100, 'b')]);
  assert.deepEqual(out.reply, Buffer.alloc(0));
  assert.deepEqual(out.data, Buffer.from('ab'));
});

test('a subnegotiation is skipped whole, IAC IAC inside it included', () => {
  const out = run([bytes('a', IAC, SB, 24, 1, IAC, IAC, 7, IAC, SE, 'b')]);
  assert.deepEqual(out.reply, Buffer.alloc(0));
  assert.deepEqual(out.data, Buffer.from('ab'));
});

test('IAC IAC is one data byte 0xFF', () => {
  const out = run([bytes('a', IAC, IAC, 'b', IAC, IAC)]);
  assert.deepEqual(out.data, bytes('a', 0xff, 'b', 0xff));
  assert.deepEqual(out.reply, Buffer.alloc(0));
});

test('IAC IAC DO is data 0xFF then the text "\\xfd", not a request', () => {
  const out = run([bytes(IAC, IAC, DO, 7)]);
  assert.deepEqual(out.data, bytes(0xff, DO, 7));
  assert.deepEqual(out.reply, Buffer.alloc(0));
});

test('a command inside an unterminated subnegotiation ends it and is answered', () => {
  const out = run([bytes(IAC, SB, 24, IAC, DO, 5, 'x')]);
  assert.deepEqual(out.reply, bytes(IAC, WONT, 5));
  assert.deepEqual(out.data, Buffer.from('x'));
});

test('split across chunks (1/3): between IAC and the verb', () => {
  const out = run([bytes('a', IAC), bytes(DO, 1, 'b')]);
  assert.deepEqual(out.reply, bytes(IAC, WONT, 1));
  assert.deepEqual(out.data, Buffer.from('ab'));
});

test('split across chunks (2/3): between the verb and the option', () => {
  const out = run([bytes(IAC, WILL), bytes(31)]);
  assert.deepEqual(out.reply, bytes(IAC, DONT, 31));
  assert.deepEqual(out.data, Buffer.alloc(0));
});

test('split across chunks (3/3): one byte at a time through a subnegotiation', () => {
  const input = bytes('x', IAC, SB, 24, IAC, IAC, IAC, SE, IAC, IAC, 'y');
  const out = run([...input].map((b) => Buffer.from([b])));
  assert.deepEqual(out.data, bytes('x', 0xff, 'y'));
  assert.deepEqual(out.reply, Buffer.alloc(0));
});

test('a chunk without IAC is passed on as the same buffer', () => {
  const chunk = Buffer.from('plain text');
  assert.equal(createTelnetParser().feed(chunk).data, chunk);
});

/** Telnet-ish input: plenty of IAC and command bytes among ordinary ones. */
const telnetBytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(IAC, IAC, DO, DONT, WILL, WONT, SB, SE, NOP),
    ),
    { maxLength: 200 },
  )
  .map((values) => Buffer.from(values));

test('property: any split of the input gives the same data and replies', () => {
  fc.assert(
    fc.property(
      telnetBytes,
      fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 20 }),
      (input, cuts) => {
        const whole = run([input]);
        const points = [...new Set(cuts.map((c) => Math.min(c, input.length)))].sort(
          (a, b) => a - b,
        );
        const chunks: Buffer[] = [];
        let from = 0;
        for (const point of [...points, input.length]) {
          chunks.push(input.subarray(from, point));
          from = point;
        }
        const split = run(chunks);
        assert.deepEqual(split.data, whole.data);
        assert.deepEqual(split.reply, whole.reply);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: the output is never longer than the input; replies come in 3-byte refusals', () => {
  fc.assert(
    fc.property(telnetBytes, (input) => {
      const out = run([input]);
      assert.ok(out.data.length <= input.length);
      assert.equal(out.reply.length % 3, 0);
      for (let i = 0; i < out.reply.length; i += 3) {
        assert.equal(out.reply[i], IAC);
        assert.ok(out.reply[i + 1] === WONT || out.reply[i + 1] === DONT);
      }
    }),
    { numRuns: 500 },
  );
});

test('property: data without IAC is unchanged and gets no reply', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (array) => {
      const input = Buffer.from(array.filter((b) => b !== IAC));
      const out = run([input]);
      assert.deepEqual(out.data, input);
      assert.equal(out.reply.length, 0);
    }),
  );
});
