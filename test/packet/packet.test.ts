// Internet checksum, ICMP echo and IPv4 headers: known answers and round trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { internetChecksum } from '../../src/packet/checksum.js';
import {
  decodeIcmpEcho,
  encodeIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
} from '../../src/packet/icmp.js';
import { decodeIpv4Header, encodeIpv4Header } from '../../src/packet/ipv4.js';

test('internetChecksum: the RFC 1071 example and the textbook IPv4 header', () => {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement.
  assert.equal(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex')), ~0xddf2 & 0xffff);
  // A well-known IPv4 header (checksum b861 in place): sums to zero.
  const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  assert.equal(internetChecksum(header), 0xb861);
  header.writeUInt16BE(0xb861, 10);
  assert.equal(internetChecksum(header), 0);
  // An odd length is padded with a zero byte.
  assert.equal(internetChecksum(Buffer.from([0x01])), ~0x0100 & 0xffff);
});

test('internetChecksum: any data with its checksum appended (even length) sums to zero', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const data = Buffer.from(bytes.length % 2 ? [...bytes, 0] : bytes);
      const sum = internetChecksum(data);
      const whole = Buffer.concat([data, Buffer.from([sum >> 8, sum & 0xff])]);
      return internetChecksum(whole) === 0;
    }),
  );
});

test('ICMP echo: the bytes ping sends, and a round trip through decode', () => {
  const request = encodeIcmpEcho({
    type: ICMP_ECHO_REQUEST,
    code: 0,
    identifier: 0x1234,
    sequence: 1,
    payload: Buffer.from('abcd'),
  });
  assert.equal(
    request.toString('hex'),
    '0800' + request.subarray(2, 4).toString('hex') + '1234000161626364',
  );
  assert.equal(internetChecksum(request), 0);
  const decoded = decodeIcmpEcho(request)!;
  assert.deepEqual(
    [
      decoded.type,
      decoded.identifier,
      decoded.sequence,
      decoded.payload.toString(),
      decoded.checksumOk,
    ],
    [ICMP_ECHO_REQUEST, 0x1234, 1, 'abcd', true],
  );
  const corrupted = Buffer.from(request);
  corrupted[9]! ^= 0xff;
  assert.equal(decodeIcmpEcho(corrupted)!.checksumOk, false);
  assert.equal(decodeIcmpEcho(Buffer.from([3, 1, 0, 0])), undefined, 'too short');
  assert.equal(decodeIcmpEcho(Buffer.alloc(8, 3)), undefined, 'not an echo');
  fc.assert(
    fc.property(
      fc.constantFrom(ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 100 }),
      (type, identifier, sequence, payload) => {
        const back = decodeIcmpEcho(
          encodeIcmpEcho({ type, code: 0, identifier, sequence, payload: Buffer.from(payload) }),
        )!;
        return (
          back.checksumOk &&
          back.identifier === identifier &&
          back.sequence === sequence &&
          back.payload.equals(Buffer.from(payload))
        );
      },
    ),
  );
});

test('IPv4 header: encode, checksum, decode', () => {
  const header = encodeIpv4Header({
    source: '192.168.0.1',
    destination: '192.168.0.199',
    protocol: 17,
    payloadLength: 95,
    ttl: 64,
    dontFragment: true,
  });
  // The same header as the textbook example above, which has identification 0 and DF set.
  assert.equal(header.toString('hex'), '45000073000040004011b861c0a80001c0a800c7');
  const decoded = decodeIpv4Header(header)!;
  assert.deepEqual(
    [decoded.source, decoded.destination, decoded.protocol, decoded.ttl, decoded.totalLength],
    ['192.168.0.1', '192.168.0.199', 17, 64, 115],
  );
  assert.equal(decoded.checksumOk, true);
  assert.equal(decoded.headerLength, 20);
  assert.equal(decodeIpv4Header(Buffer.alloc(10)), undefined);
  assert.equal(decodeIpv4Header(Buffer.from('60000000', 'hex')), undefined, 'IPv6 is not IPv4');
  assert.throws(
    () =>
      encodeIpv4Header({ source: '::1', destination: '1.2.3.4', protocol: 1, payloadLength: 0 }),
    /not an IPv4 address/,
  );
});
