// The CONNECT handshake over an in-memory stream: whatever a (malicious) proxy sends, in whatever
// pieces, httpConnect() opens the tunnel, asks for credentials, or fails with one ProxyError, and
// the bytes after the reply head stay in the stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProxyError } from '../../src/errors.js';
import { httpConnect } from '../../src/proxy/http-connect.js';
import { fakePeer } from '../helpers/fake-stream.js';

/** Run httpConnect against a proxy that sends `pieces`, then ends. */
async function handshake(pieces: readonly Buffer[]) {
  const peer = fakePeer();
  const result = httpConnect(peer.stream, '127.0.0.1:3128', 'example.test:80');
  for (const piece of pieces) peer.send(piece);
  peer.end();
  return {
    peer,
    result: await result.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
  };
}

test('the request, and the tunnel bytes left in the stream after a 200', async () => {
  const { peer, result } = await handshake([
    Buffer.from('HTTP/1.1 200 OK\r\nX: y\r'),
    Buffer.from('\n\r\nbanner'),
  ]);
  assert.deepEqual(result, { value: { kind: 'connected' } });
  assert.equal(peer.received().toString(), 'CONNECT example.test:80 HTTP/1.0\r\n\r\n');
  peer.stream.resume();
  const rest: Buffer[] = [];
  peer.stream.on('data', (chunk: Buffer) => rest.push(chunk));
  await new Promise((resolve) => peer.stream.once('end', resolve));
  assert.equal(Buffer.concat(rest).toString(), 'banner');
});

test('403 is refused with the status in one line; 407 returns the challenges', async () => {
  const refused = await handshake([Buffer.from('HTTP/1.0 403 Forbidden\r\n\r\n')]);
  assert.ok('error' in refused.result);
  assert.equal(
    (refused.result.error as Error).message,
    'proxy 127.0.0.1:3128 refused CONNECT to example.test:80: 403 Forbidden',
  );
  const auth = await handshake([
    Buffer.from('HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic realm="r"\r\n\r\n'),
  ]);
  assert.deepEqual(auth.result, {
    value: {
      kind: 'auth-required',
      challenges: [{ scheme: 'basic', params: { realm: 'r' } }],
      reply: '407 Auth',
    },
  });
});

test('fuzz: any reply in any pieces gives a result or a ProxyError, never another error', async () => {
  const replyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .array(
        fc.constantFrom(
          'HTTP/1.1 ',
          'HTTP/1.0 200 OK',
          '407',
          ' ',
          '\r\n',
          '\n',
          'Proxy-Authenticate: ',
          'Digest nonce="',
          '"',
          ',',
          '=',
          'X: y',
          '\x00',
          '\xff',
        ),
        { maxLength: 30 },
      )
      .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
  );
  await fc.assert(
    fc.asyncProperty(replyBytes, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let at = 0;
      for (const point of [...points, bytes.length]) {
        if (point > at) pieces.push(Buffer.from(bytes.subarray(at, point)));
        at = point;
      }
      const { result } = await handshake(pieces);
      if ('error' in result) {
        assert.ok(result.error instanceof ProxyError, String(result.error));
        assert.ok(!String((result.error as Error).message).includes('\n'));
      } else {
        assert.ok(['connected', 'auth-required'].includes(result.value.kind));
      }
    }),
    { numRuns: 500 },
  );
});
