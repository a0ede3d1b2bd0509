import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  HttpHeadError,
  headerValues,
  MAX_HEAD_BYTES,
  MAX_REQUEST_LINE_BYTES,
  parseRequestHead,
  parseResponseHead,
} from '../../src/proxy/http-head.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

test('a CONNECT reply: status, reason, headers, and where the tunnel starts', () => {
  const reply = bytes('HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\nSSH-2.0');
  const head = parseResponseHead(reply);
  assert.deepEqual(head, {
    version: '1.1',
    statusCode: 200,
    reason: 'Connection established',
    headers: [['Via', 'x']],
    headLength: reply.length - 'SSH-2.0'.length,
  });
});

test('bare LF line endings and an empty reason are accepted', () => {
  const head = parseResponseHead(bytes('HTTP/1.0 200\n\nrest'));
  assert.equal(head?.statusCode, 200);
  assert.equal(head?.reason, '');
  assert.equal(head?.headLength, 14);
});

test('incomplete heads need more bytes (split terminator (1/2), (2/2))', () => {
  assert.equal(parseResponseHead(bytes('HTTP/1.0 200 OK\r\n')), undefined);
  assert.equal(parseResponseHead(bytes('HTTP/1.0 200 OK\r\n\r')), undefined);
  assert.equal(parseResponseHead(bytes('')), undefined);
});

test('malformed replies are HttpHeadErrors with the line quoted and escaped', () => {
  const cases: Array<[string, string]> = [
    ['SSH-2.0-OpenSSH\r\n\r\n', 'bad status line "SSH-2.0-OpenSSH"'],
    ['HTTP/1.0 20 OK\r\n\r\n', 'bad status line "HTTP/1.0 20 OK"'],
    ['HTTP/1.0 200 OK\r\nno colon\r\n\r\n', 'bad header line "no colon"'],
    ['HTTP/1.0 200 OK\r\nX: a\x01b\r\n\r\n', 'bad header line "X: a\\u0001b"'],
    ['HTTP/1.0 200 \x1b[2J\r\n\r\n', 'bad status line "HTTP/1.0 200 \\u001b[2J"'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseResponseHead(bytes(input)), { name: 'HttpHeadError', message }, input);
  }
});

test('endless headers stop at the cap; many header fields too', () => {
  const endless = bytes(`HTTP/1.0 200 OK\r\n${'X-Pad: aaaaaaaaaaaaaaaa\r\n'.repeat(1000)}`);
  assert.throws(() => parseResponseHead(endless), {
    name: 'HttpHeadError',
    message: `head larger than ${MAX_HEAD_BYTES} bytes`,
  });
  assert.throws(() => parseResponseHead(bytes('HTTP/1.0 200 OK\r\n\r\n'), { maxBytes: 10 }), {
    message: 'head larger than 10 bytes',
  });
  const many = bytes(`HTTP/1.0 200 OK\r\n${'A: b\r\n'.repeat(101)}\r\n`);
  assert.throws(() => parseResponseHead(many), { message: 'more than 100 header fields' });
});

test('request heads: CONNECT and an absolute-URI GET', () => {
  const connect = parseRequestHead(bytes('CONNECT [::1]:22 HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(connect?.method, 'CONNECT');
  assert.equal(connect?.target, '[::1]:22');
  const get = parseRequestHead(bytes('GET http://h/a?b HTTP/1.0\r\nA: 1\r\na: 2\r\n\r\nbody'));
  assert.equal(get?.target, 'http://h/a?b');
  assert.deepEqual(headerValues(get?.headers ?? [], 'A'), ['1', '2']);
  assert.throws(() => parseRequestHead(bytes('GET /\r\n\r\n')), { name: 'HttpHeadError' });
});

const headBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('HTTP/1.1 ', '200', ' OK', '407', '\r\n', '\n', ':', ' ', 'X-A', '\x00'),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => new Uint8Array(bytes(parts.join('')))),
);

test('fuzz: any bytes give a head, "need more", or an HttpHeadError — never another throw', () => {
  fc.assert(
    fc.property(headBytes, fc.integer({ min: 1, max: 400 }), (input, maxBytes) => {
      for (const parse of [parseResponseHead, parseRequestHead]) {
        try {
          const head = parse(input, { maxBytes });
          if (head) {
            assert.ok(head.headLength <= input.length && head.headLength <= maxBytes);
          }
        } catch (error) {
          assert.ok(error instanceof HttpHeadError, String(error));
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: feeding a reply in any number of pieces gives the same head as all at once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('X-A', 'Via', 'Server'), fc.string({ maxLength: 20 })), {
        maxLength: 10,
      }),
      fc.uint8Array({ maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (fields, tail, cuts) => {
        const safe = fields.map(
          ([n, v]) => [n, [...v].filter((c) => c >= ' ' && c < '\x7f').join('')] as const,
        );
        const text = `HTTP/1.1 200 OK\r\n${safe.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
        const whole = Buffer.concat([bytes(text), tail]);
        const expected = parseResponseHead(whole);
        assert.ok(expected);
        // Growing prefixes, as a socket delivers them: undefined until complete, then the same.
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        for (const point of points) {
          const partial = parseResponseHead(whole.subarray(0, point));
          if (point < expected.headLength) assert.equal(partial, undefined);
          else assert.deepEqual(partial, expected);
        }
      },
    ),
  );
});

test('obs-fold: a line starting with a space or tab continues the field before, joined by one space', () => {
  const head = parseRequestHead(
    bytes('GET http://h/ HTTP/1.0\r\nX-B: c\r\n d\r\n\t e \r\nX-C: 1\r\nX-D:\r\n  f\r\n\r\n'),
  );
  assert.deepEqual(head?.headers, [
    ['X-B', 'c d e'],
    ['X-C', '1'],
    ['X-D', 'f'],
  ]);
  assert.throws(() => parseRequestHead(bytes('GET http://h/ HTTP/1.0\r\n X: 1\r\n\r\n')), {
    name: 'HttpHeadError',
    message: 'bad header line " X: 1"',
  });
});

test('an overlong request line is line-too-long (414) as soon as it is seen; a big head too-large (413)', () => {
  const long = bytes(`GET http://h/${'a'.repeat(MAX_REQUEST_LINE_BYTES)} HTTP/1.0`);
  assert.throws(() => parseRequestHead(long), {
    name: 'HttpHeadError',
    reason: 'line-too-long',
    message: `request line longer than ${MAX_REQUEST_LINE_BYTES} bytes`,
  });
  const exact = `GET http://h/${'a'.repeat(MAX_REQUEST_LINE_BYTES - 'GET http://h/ HTTP/1.0'.length)} HTTP/1.0`;
  assert.equal(parseRequestHead(bytes(`${exact}\r\n\r\n`))?.method, 'GET');
  assert.equal(parseRequestHead(bytes(exact)), undefined, 'at the cap: still waiting');
  const big = bytes(`GET http://h/ HTTP/1.0\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`);
  assert.throws(() => parseRequestHead(big), { reason: 'too-large' });
  const many = bytes(`GET http://h/ HTTP/1.0\r\n${'A: b\r\n'.repeat(101)}\r\n`);
  assert.throws(() => parseRequestHead(many), { reason: 'too-large' });
});
