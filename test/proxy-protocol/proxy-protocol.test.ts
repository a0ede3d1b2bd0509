import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bytesToIPv6, ipv6ToBytes } from '../../src/address/ip-bytes.js';
import { ProxyProtocolError } from '../../src/errors.js';
import {
  encodeV1,
  encodeV2,
  parseProxyHeader,
  parseV1,
  parseV2,
} from '../../src/proxy-protocol/index.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('v1 known answers (proxy-protocol.txt examples)', () => {
  const line = Buffer.from('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n');
  assert.deepEqual(parseProxyHeader(line), {
    status: 'done',
    consumed: 47,
    header: {
      version: 1,
      command: 'proxy',
      protocol: 'tcp4',
      source: { address: '192.168.0.1', port: 56324 },
      destination: { address: '192.168.0.11', port: 443 },
      tlvs: [],
    },
  });
  const v6 = parseV1(Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 65535\r\n'));
  assert.equal(v6.status === 'done' && v6.header.source?.address, '2001:db8::1');
  const unknown = parseV1(Buffer.from('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n'));
  assert.equal(unknown.status === 'done' && unknown.header.protocol, 'unknown');
});

test('v1 incomplete input asks for more; malformed input is a clean error', () => {
  assert.deepEqual(parseV1(Buffer.from('PRO')), { status: 'incomplete' });
  assert.deepEqual(parseV1(Buffer.from('PROXY TCP4 1.2.3.4')), { status: 'incomplete' });
  const errors: Array<[string, RegExp]> = [
    ['GET / HTTP/1.1\r\n', /expected "PROXY "/],
    ['PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n', /unknown protocol "UDP4"/],
    ['PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n', /5 fields, expected 6/],
    ['PROXY TCP4 ::1 1.2.3.4 1 2\r\n', /invalid TCP4 address "::1"/],
    ['PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n', /invalid port "65536"/],
    ['PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n', /invalid port "01"/],
    [`PROXY ${'x'.repeat(120)}`, /longer than 107 bytes/],
  ];
  for (const [input, message] of errors) {
    assert.throws(
      () => parseV1(Buffer.from(input)),
      { code: 'SOCKCAT_PROXY_PROTOCOL', message },
      input,
    );
  }
});

test('v2 known answer: TCP over IPv4, PROXY command', () => {
  const bytes = hex(`
    0d0a0d0a000d0a515549540a 21 11 000c
    c0a80001 c0a8000b dc04 01bb
    ffff`);
  const result = parseV2(bytes);
  assert.deepEqual(result, {
    status: 'done',
    consumed: 28,
    header: {
      version: 2,
      command: 'proxy',
      protocol: 'tcp4',
      source: { address: '192.168.0.1', port: 56324 },
      destination: { address: '192.168.0.11', port: 443 },
      tlvs: [],
    },
  });
  assert.deepEqual(
    encodeV2({
      command: 'proxy',
      protocol: 'tcp4',
      source: { address: '192.168.0.1', port: 56324 },
      destination: { address: '192.168.0.11', port: 443 },
    }),
    bytes.subarray(0, 28),
  );
});

test('v2 LOCAL with TLVs, IPv6 and Unix round-trip', () => {
  const local = encodeV2({
    command: 'local',
    protocol: 'unknown',
    tlvs: [{ type: 0x01, value: Buffer.from('h2') }],
  });
  const parsed = parseV2(local);
  assert.equal(parsed.status, 'done');
  if (parsed.status !== 'done') return;
  assert.equal(parsed.header.command, 'local');
  assert.deepEqual(parsed.header.tlvs, [{ type: 1, value: Buffer.from('h2') }]);
  for (const [protocol, source, destination] of [
    ['tcp6', { address: '2001:db8::1', port: 1234 }, { address: '::1', port: 80 }],
    ['unix', { address: '/run/a.sock', port: 0 }, { address: '/run/b.sock', port: 0 }],
  ] as const) {
    const again = parseV2(encodeV2({ command: 'proxy', protocol, source, destination }));
    assert.ok(again.status === 'done');
    if (again.status === 'done') {
      assert.deepEqual(again.header.source, source);
      assert.deepEqual(again.header.destination, destination);
    }
  }
});

test('v2 errors: signature, version, command, size cap, truncated addresses and TLVs', () => {
  const good = encodeV2({
    command: 'proxy',
    protocol: 'tcp4',
    source: { address: '1.2.3.4', port: 1 },
    destination: { address: '5.6.7.8', port: 2 },
  });
  const mutate = (index: number, value: number) => {
    const copy = Buffer.from(good);
    copy[index] = value;
    return copy;
  };
  assert.throws(() => parseV2(mutate(3, 0)), /bad signature/);
  assert.throws(() => parseV2(mutate(12, 0x11)), /version 1, expected 2/);
  assert.throws(() => parseV2(mutate(12, 0x22)), /unknown command 0x2/);
  assert.throws(() => parseV2(mutate(13, 0x41)), /unknown family\/transport 0x41/);
  const big = Buffer.from(good);
  big.writeUInt16BE(5000, 14);
  assert.throws(() => parseV2(big), /5000 bytes exceeds the limit of 1024/);
  const short = Buffer.from(good);
  short.writeUInt16BE(4, 14);
  assert.throws(() => parseV2(short), /too short for its addresses/);
  const badTlv = Buffer.concat([
    good.subarray(0, 14),
    Buffer.from([0, 14]),
    good.subarray(16),
    Buffer.from([1, 0]),
  ]);
  assert.throws(() => parseV2(badTlv), /truncated TLV/);
  assert.deepEqual(parseV2(good.subarray(0, 20)), { status: 'incomplete' });
});

test('parseProxyHeader: any bytes give a result or a ProxyProtocolError, never another throw', () => {
  const seeds = [
    encodeV1({
      protocol: 'tcp4',
      source: { address: '1.2.3.4', port: 1 },
      destination: { address: '5.6.7.8', port: 2 },
    }),
    encodeV2({
      command: 'proxy',
      protocol: 'tcp6',
      source: { address: '::1', port: 1 },
      destination: { address: '::2', port: 2 },
    }),
  ];
  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(90),
    )
    .map(([seed, edits, cut]) => {
      const copy = Buffer.from(seed);
      for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
      return copy.subarray(0, cut);
    });
  fc.assert(
    fc.property(
      fc.oneof(
        mutated,
        fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
      ),
      (input) => {
        try {
          const result = parseProxyHeader(input);
          if (result.status === 'done') assert.ok(result.consumed <= input.length);
        } catch (error) {
          assert.ok(error instanceof ProxyProtocolError, String(error));
        }
      },
    ),
    { numRuns: 5000 },
  );
});

test('any split point: incomplete until the whole header is there, then the same answer', () => {
  const header = encodeV2({
    command: 'proxy',
    protocol: 'tcp4',
    source: { address: '10.0.0.1', port: 9 },
    destination: { address: '10.0.0.2', port: 8 },
  });
  const full = parseProxyHeader(header);
  for (let cut = 0; cut < header.length; cut++) {
    assert.deepEqual(parseProxyHeader(header.subarray(0, cut)), { status: 'incomplete' });
  }
  assert.equal(full.status, 'done');
});

test('IPv6 bytes and text round-trip in RFC 5952 form', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      assert.deepEqual(ipv6ToBytes(bytesToIPv6(bytes)), Buffer.from(bytes));
    }),
  );
  assert.equal(bytesToIPv6(ipv6ToBytes('2001:0db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(bytesToIPv6(ipv6ToBytes('::ffff:1.2.3.4')), '::ffff:102:304');
});
