import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  encodeReply,
  parseCredentials,
  parseGreeting,
  parseRequest,
  Socks5ParseError,
  Socks5Reply,
} from '../../src/proxy/socks5-messages.js';

const b = (...bytes: number[]) => Buffer.from(bytes);

test('greeting: methods, incomplete, wrong version', () => {
  assert.deepEqual(parseGreeting(b(5, 2, 0, 2, 9)), { value: [0, 2], length: 4 });
  assert.equal(parseGreeting(b(5, 2, 0)), undefined);
  assert.throws(() => parseGreeting(b(4, 1, 0)), { message: 'not SOCKS5: version byte 0x04' });
  assert.throws(() => parseGreeting(b(5, 0)), { message: 'SOCKS5 greeting offers no methods' });
});

test('credentials (RFC 1929)', () => {
  assert.deepEqual(parseCredentials(b(1, 1, 0x75, 2, 0x70, 0x71)), {
    value: { username: 'u', password: 'pq' },
    length: 6,
  });
  assert.equal(parseCredentials(b(1, 1, 0x75, 2, 0x70)), undefined);
  assert.deepEqual(parseCredentials(b(1, 0, 0)), {
    value: { username: '', password: '' },
    length: 3,
  });
});

test('requests: IPv4, IPv6, domain; unknown address type asks for reply 0x08', () => {
  assert.deepEqual(parseRequest(b(5, 1, 0, 1, 127, 0, 0, 1, 0, 80)), {
    value: { command: 1, addressType: 1, host: '127.0.0.1', port: 80 },
    length: 10,
  });
  const v6 = parseRequest(b(5, 1, 0, 4, ...Array(15).fill(0), 1, 0x1f, 0x90));
  assert.deepEqual(v6?.value, { command: 1, addressType: 4, host: '::1', port: 8080 });
  const name = parseRequest(Buffer.concat([b(5, 1, 0, 3, 9), Buffer.from('localhost'), b(0, 22)]));
  assert.deepEqual(name?.value, { command: 1, addressType: 3, host: 'localhost', port: 22 });
  assert.equal(parseRequest(b(5, 1, 0, 3, 9, 0x6c)), undefined);
  assert.throws(
    () => parseRequest(b(5, 1, 0, 9)),
    (error: unknown) => {
      assert.ok(error instanceof Socks5ParseError);
      assert.equal(error.reply, Socks5Reply.AddressTypeNotSupported);
      return true;
    },
  );
});

test('replies: byte-exact, with the bound address', () => {
  assert.deepEqual(encodeReply(Socks5Reply.ConnectionRefused), b(5, 5, 0, 1, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(
    encodeReply(Socks5Reply.Succeeded, { address: '127.0.0.1', port: 0x1234 }),
    b(5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34),
  );
  assert.equal(encodeReply(Socks5Reply.Succeeded, { address: '::1', port: 1 }).length, 22);
});

test('fuzz: any bytes give a message, "need more", or a Socks5ParseError; splits agree', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc
          .tuple(fc.constantFrom(1, 5), fc.uint8Array({ maxLength: 270 }))
          .map(([v, rest]) => Buffer.concat([b(v), rest])),
      ),
      fc.nat(),
      (input, cut) => {
        for (const parse of [parseGreeting, parseCredentials, parseRequest]) {
          let whole: ReturnType<typeof parse>;
          try {
            whole = parse(input);
          } catch (error) {
            assert.ok(error instanceof Socks5ParseError, String(error));
            continue;
          }
          if (whole === undefined) continue;
          assert.ok(whole.length <= input.length && whole.length <= 4 + 1 + 255 + 2 + 255);
          // A prefix is never complete before the message is.
          const prefix = input.subarray(0, cut % (whole.length + 1));
          const partial = parse(prefix);
          if (prefix.length < whole.length) assert.equal(partial, undefined);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
