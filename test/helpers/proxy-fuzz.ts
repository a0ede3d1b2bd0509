// The fuzz properties of the proxy servers' parsers, shared by their tests (a few thousand runs)
// and by the soak script (bench/soak.ts, 100,000 runs each).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DigestVerifier } from '../../src/proxy/digest-server.js';
import { HttpHeadError, parseRequestHead, parseResponseHead } from '../../src/proxy/http-head.js';

/** Random bytes, and text built from the pieces of a real head. */
export const headBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'HTTP/1.1 ',
          '200',
          ' OK',
          '407',
          '\r\n',
          '\n',
          ':',
          ' ',
          'X-A',
          '\x00',
          'CONNECT ',
          'GET http://h/ ',
          'Host: h',
          'Via: 1.1 x',
          'Content-Length: 3',
          'Transfer-Encoding: chunked',
          '\r\n ',
        ),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
);

/** Any bytes give a head, "need more", or an HttpHeadError: never another throw. */
export function headParsersProperty() {
  return fc.property(headBytes, fc.integer({ min: 1, max: 400 }), (input, maxBytes) => {
    for (const parse of [parseResponseHead, parseRequestHead]) {
      try {
        const head = parse(input, { maxBytes });
        if (head) assert.ok(head.headLength <= input.length && head.headLength <= maxBytes);
      } catch (error) {
        assert.ok(error instanceof HttpHeadError, String(error));
      }
    }
  });
}

/** Any Proxy-Authorization value gives a verdict, never a throw, and never "ok". */
export function digestVerifierProperty(verifier: DigestVerifier, nonce: string) {
  const part = fc.oneof(
    fc.constantFrom(
      'Digest ',
      'username="u"',
      'realm="sockcat"',
      `nonce="${nonce}"`,
      'uri="h:1"',
      'qop=auth',
      'nc=00000001',
      'nc=zz',
      'cnonce="x"',
      'response="00"',
      'algorithm=SHA-256',
      'algorithm=X',
      ', ',
      '"',
      '\\',
      '=',
    ),
    fc.string({ maxLength: 10 }),
  );
  return fc.property(fc.array(part, { maxLength: 16 }), (parts) => {
    const verdict = verifier.verify(parts.join(''), 'CONNECT', 'h:1');
    assert.ok(['missing', 'stale', 'replayed', 'wrong'].includes(verdict), verdict);
  });
}
