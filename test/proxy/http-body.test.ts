// Where a request body ends, as the HTTP proxy server forwards it: Content-Length, chunked, none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { requestBodyFramer } from '../../src/proxy/http-body.js';
import { HttpHeadError } from '../../src/proxy/http-head.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

test('Content-Length: exactly that many bytes, over any number of pieces; the rest is not body', () => {
  const framer = requestBodyFramer([['Content-Length', '4']]);
  assert.equal(framer.kind, 'length');
  assert.equal(framer.done, false);
  assert.equal(framer.take(bytes('ab')), 2);
  assert.equal(framer.take(bytes('c\nGET')), 2);
  assert.equal(framer.done, true);
  assert.equal(framer.take(bytes('more')), 0);
  const none = requestBodyFramer([['Host', 'x']]);
  assert.equal(none.kind, 'none');
  assert.equal(none.done, true);
  assert.equal(requestBodyFramer([['Content-Length', '0']]).done, true);
  assert.equal(requestBodyFramer([['Content-Length', '3, 3']]).take(bytes('abcd')), 3);
});

test('chunked: up to the last chunk and its trailers, extensions and bare LF accepted', () => {
  const body = '4\r\nabc\n\r\n1;name=value\r\nx\r\n0\r\nTrailer: 1\r\n\r\n';
  const framer = requestBodyFramer([['Transfer-Encoding', 'chunked']]);
  assert.equal(framer.kind, 'chunked');
  assert.equal(framer.take(bytes(`${body}NEXT`)), body.length);
  assert.equal(framer.done, true);
  const lf = requestBodyFramer([['Transfer-Encoding', 'Chunked']]);
  assert.equal(lf.take(bytes('3\nabc\n0\n\n')), 9);
  assert.equal(lf.done, true);
});

test('framing a proxy must not guess at is an HttpHeadError (400)', () => {
  const cases: Array<[Array<[string, string]>, string]> = [
    [[['Content-Length', 'abc']], 'bad Content-Length "abc"'],
    [[['Content-Length', '-1']], 'bad Content-Length "-1"'],
    [
      [
        ['Content-Length', '2'],
        ['Content-Length', '3'],
      ],
      'bad Content-Length "2, 3"',
    ],
    [
      [
        ['Transfer-Encoding', 'chunked'],
        ['Content-Length', '3'],
      ],
      'both Transfer-Encoding and Content-Length',
    ],
    [[['Transfer-Encoding', 'gzip, chunked']], 'unsupported Transfer-Encoding "gzip, chunked"'],
  ];
  for (const [headers, message] of cases) {
    assert.throws(() => requestBodyFramer(headers), { name: 'HttpHeadError', message });
  }
  const chunked = () => requestBodyFramer([['Transfer-Encoding', 'chunked']]);
  assert.throws(() => chunked().take(bytes('zz\r\n')), {
    message: 'bad chunked body: missing chunk size',
  });
  assert.throws(() => chunked().take(bytes('2\r\nabc\r\n')), {
    message: 'bad chunked body: chunk data longer than its size',
  });
  assert.throws(() => chunked().take(bytes(`${'f'.repeat(16)}\r\n`)), {
    message: 'bad chunked body: chunk size too large',
  });
});

/** A chunked encoding of `parts`, with optional extensions and trailers. */
const chunkedBody = fc
  .tuple(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 }),
    fc.boolean(),
    fc.array(fc.constantFrom('X-T: 1', 'Y: z'), { maxLength: 2 }),
  )
  .map(([parts, extensions, trailers]) => {
    const pieces: Buffer[] = parts.map((part) =>
      Buffer.concat([
        bytes(`${part.length.toString(16)}${extensions ? ';e=1' : ''}\r\n`),
        Buffer.from(part),
        bytes('\r\n'),
      ]),
    );
    pieces.push(bytes(`0\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`));
    return Buffer.concat(pieces);
  });

test('fuzz: a chunked body split anywhere ends at the same byte, and nothing after it is taken', () => {
  fc.assert(
    fc.property(
      chunkedBody,
      fc.uint8Array({ maxLength: 20 }),
      fc.array(fc.nat()),
      (body, tail, cuts) => {
        const whole = Buffer.concat([body, tail]);
        const framer = requestBodyFramer([['Transfer-Encoding', 'chunked']]);
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        let taken = 0;
        let at = 0;
        for (const point of [...points, whole.length]) {
          taken += framer.take(whole.subarray(at, point));
          at = point;
          if (framer.done) break;
        }
        assert.equal(framer.done, true);
        assert.equal(taken, body.length);
      },
    ),
    { numRuns: 2000 },
  );
});

test('fuzz: any bytes into a chunked framer give a count or an HttpHeadError, never another throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc
          .array(fc.constantFrom('0', 'a', 'F', ';', ' ', '\r', '\n', '\r\n', 'x', ':'), {
            maxLength: 60,
          })
          .map((parts) => bytes(parts.join(''))),
      ),
      (input) => {
        const framer = requestBodyFramer([['Transfer-Encoding', 'chunked']]);
        try {
          const n = framer.take(input);
          assert.ok(n >= 0 && n <= input.length);
          if (n < input.length) assert.equal(framer.done, true);
        } catch (error) {
          assert.ok(error instanceof HttpHeadError, String(error));
        }
      },
    ),
    { numRuns: 3000 },
  );
});
