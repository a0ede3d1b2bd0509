import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  formatHostSpec,
  HostFilter,
  type HostSpec,
  type IPv4HostSpec,
  matchesHostSpec,
  parseHostFile,
  parseHostSpec,
  parseHostSpecList,
  resolveHostSpecs,
} from '../../src/address/host-spec.js';
import { bytesToIPv6, ipv6ToBytes } from '../../src/address/ip-bytes.js';
import type { LookupFunction } from '../../src/address/resolve.js';
import { ArgumentError } from '../../src/errors.js';

const all = { start: 0, end: 255 };
const one = (n: number) => [{ start: n, end: n }];

/** Assert which of `addresses` match `spec` (parsed from text), and that the others do not. */
function assertMatches(text: string, matching: string[], notMatching: string[]): void {
  const spec = parseHostSpec(text);
  for (const address of matching) assert.ok(matchesHostSpec(spec, address), `${text} ∋ ${address}`);
  for (const address of notMatching) {
    assert.ok(!matchesHostSpec(spec, address), `${text} ∌ ${address}`);
  }
}

function octetsOf(text: string): IPv4HostSpec['octets'] {
  const spec = parseHostSpec(text);
  assert.equal(spec.kind, 'ipv4', text);
  return (spec as IPv4HostSpec).octets;
}

function assertInvalid(text: string, reason: string): void {
  assert.throws(() => parseHostSpec(text), {
    name: 'ArgumentError',
    code: 'SOCKCAT_ARGS',
    message: `invalid host specification ${JSON.stringify(text)}: ${reason}`,
  });
}

// Parsing

test('parses IPv4 addresses, patterns and CIDR into octet sets', () => {
  assert.deepEqual(parseHostSpec('192.168.0.1'), {
    kind: 'ipv4',
    octets: [one(192), one(168), one(0), one(1)],
    prefix: 32,
  });
  assert.deepEqual(parseHostSpec('192.168.0.0/24'), {
    kind: 'ipv4',
    octets: [one(192), one(168), one(0), one(0)],
    prefix: 24,
  });
  assert.deepEqual(octetsOf('192.168.0-5.*'), [one(192), one(168), [{ start: 0, end: 5 }], [all]]);
  assert.deepEqual(octetsOf('10.1.1.1-100'), [one(10), one(1), one(1), [{ start: 1, end: 100 }]]);
  assert.deepEqual(octetsOf('192.168.1,3.1'), [one(192), one(168), [...one(1), ...one(3)], one(1)]);
});

test('open ranges reach 0 and 255, and octet sets are normalized', () => {
  assert.deepEqual(octetsOf('-.5-.-7.*'), [
    [all],
    [{ start: 5, end: 255 }],
    [{ start: 0, end: 7 }],
    [all],
  ]);
  assert.deepEqual(octetsOf('0-255.9,1-3,4,2.200-210,205-220.7-7'), [
    [all],
    [
      { start: 1, end: 4 },
      { start: 9, end: 9 },
    ],
    [{ start: 200, end: 220 }],
    one(7),
  ]);
  assert.equal(formatHostSpec(parseHostSpec('0-255.9,1-3,4,2.-.5-5')), '*.1-4,9.*.5');
});

test('parses IPv6 addresses and prefixes into RFC 5952 text, dropping zones', () => {
  assert.deepEqual(parseHostSpec('2001:DB8:0:0::/32'), {
    kind: 'ipv6',
    address: '2001:db8::',
    prefix: 32,
  });
  assert.deepEqual(parseHostSpec('::1'), { kind: 'ipv6', address: '::1', prefix: 128 });
  assert.deepEqual(parseHostSpec('fe80::1%lo'), { kind: 'ipv6', address: 'fe80::1', prefix: 128 });
  assert.deepEqual(parseHostSpec('::ffff:1.2.3.4/120'), {
    kind: 'ipv6',
    address: '::ffff:102:304',
    prefix: 120,
  });
});

test('anything else that is a valid host name is kept as a name, with its prefix', () => {
  assert.deepEqual(parseHostSpec('localhost'), {
    kind: 'name',
    name: 'localhost',
    prefix: undefined,
  });
  assert.deepEqual(parseHostSpec('Example.COM./24'), {
    kind: 'name',
    name: 'Example.COM.',
    prefix: 24,
  });
  assert.deepEqual(parseHostSpec('1.2.3.4a'), {
    kind: 'name',
    name: '1.2.3.4a',
    prefix: undefined,
  });
  assert.deepEqual(parseHostSpec('_srv.host-1.example'), {
    kind: 'name',
    name: '_srv.host-1.example',
    prefix: undefined,
  });
});

test('invalid specifications name the spec and what is wrong', () => {
  assertInvalid('300.1.1.1', 'octet 300 is out of range (0-255)');
  assertInvalid('1.2.3.4-256', 'octet 256 is out of range (0-255)');
  assertInvalid('1.2.3', 'expected 4 dot-separated octets, found 3');
  assertInvalid('1.2.3.4.5', 'expected 4 dot-separated octets, found 5');
  assertInvalid('*', 'expected 4 dot-separated octets, found 1');
  assertInvalid('1..3.4', 'octet 2 is empty');
  assertInvalid('1.2.3.', 'octet 4 is empty');
  assertInvalid('1.2.3.5-4', 'octet range 5-4 ends before it starts');
  assertInvalid(
    '1.2.*5.4',
    'octet "*5" is not a number, a range a-b, a comma list of those, or "*"',
  );
  assertInvalid(
    '1.2.3.1,,2',
    'octet "1,,2" is not a number, a range a-b, a comma list of those, or "*"',
  );
  assertInvalid(
    '1.2.3.1--2',
    'octet "1--2" is not a number, a range a-b, a comma list of those, or "*"',
  );
  assertInvalid(
    '0177.0.0.1',
    'octet value "0177" has a leading zero (write octets in decimal without one)',
  );
  assertInvalid('1.2.3.4/33', 'prefix length 33 is out of range (0-32)');
  assertInvalid('1.2.3.*/33', 'prefix length 33 is out of range (0-32)');
  assertInvalid('::1/129', 'prefix length 129 is out of range (0-128)');
  assertInvalid('example.com/129', 'prefix length 129 is out of range (0-128)');
  assertInvalid('1.2.3.4/', 'missing prefix length after "/"');
  assertInvalid('1.2.3.4/-1', 'prefix length "-1" is not a number');
  assertInvalid('1.2.3.4/+8', 'prefix length "+8" is not a number');
  assertInvalid('1.2.3.4/24/8', 'prefix length "24/8" is not a number');
  assertInvalid('2001:db8:::1', 'not a valid IPv6 address');
  assertInvalid('1.2.3.4:80', 'not a valid IPv6 address (host specifications take no port)');
  assertInvalid('[::1]', 'write IPv6 addresses without brackets');
  assertInvalid('a..b', 'not an IP address, IPv4 range or host name');
  assertInvalid('#comment', 'not an IP address, IPv4 range or host name');
  assertInvalid('-host.example', 'not an IP address, IPv4 range or host name');
  assertInvalid('*.example.com', 'wildcards are allowed only in IPv4 addresses');
  assertInvalid('', 'it is empty');
  assertInvalid(' 1.2.3.4', 'it contains whitespace');
});

test('a leading zero in a prefix length is still decimal, as in ncat', () => {
  assert.equal(parseHostSpec('10.0.0.0/08').prefix, 8);
});

// Matching

test('IPv4 addresses match themselves, and their IPv4-mapped IPv6 form', () => {
  assertMatches(
    '192.168.0.1',
    ['192.168.0.1', '::ffff:192.168.0.1', '::FFFF:c0a8:1'],
    ['192.168.0.2', '::192.168.0.1', '::1', '2001:db8::c0a8:1'],
  );
});

test('IPv4 CIDR at /0, /1, /24, /31 and /32', () => {
  assertMatches('10.20.30.40/0', ['0.0.0.0', '255.255.255.255', '::ffff:8.8.8.8'], ['::1', '::']);
  assertMatches('128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['127.255.255.255', '0.0.0.0']);
  assertMatches(
    '192.168.0.77/24',
    ['192.168.0.0', '192.168.0.255'],
    ['192.168.1.0', '192.167.255.255'],
  );
  assertMatches('10.0.0.4/31', ['10.0.0.4', '10.0.0.5'], ['10.0.0.3', '10.0.0.6']);
  assertMatches('10.0.0.4/32', ['10.0.0.4'], ['10.0.0.5']);
});

test('octet ranges and wildcards, at octet boundaries', () => {
  assertMatches(
    '192.168.0-5.*',
    ['192.168.0.0', '192.168.5.255', '192.168.3.17'],
    ['192.168.6.0', '192.169.0.0', '191.168.0.0'],
  );
  assertMatches('10.1.1.1-100', ['10.1.1.1', '10.1.1.100'], ['10.1.1.0', '10.1.1.101']);
  assertMatches('10.0.0.0-255', ['10.0.0.0', '10.0.0.255'], ['10.0.1.0']);
  assertMatches('10.0.255-255.0', ['10.0.255.0'], ['10.0.254.0', '10.0.255.1']);
  assertMatches('*.*.*.1', ['0.0.0.1', '255.255.255.1', '::ffff:9.9.9.1'], ['1.1.1.0', '::1']);
  assertMatches('192.168.1,3.1', ['192.168.1.1', '192.168.3.1'], ['192.168.2.1']);
  assertMatches('127.*.0-.-4', ['127.9.0.4', '127.0.255.0'], ['127.9.0.5']);
});

test('a prefix on an IPv4 pattern widens each octet as ncat does', () => {
  // Checked against ncat 7.93: --allowfile containing 127.0.4,9.1/22, connecting from 127.0.x.1.
  assertMatches(
    '127.0.4,9.1/22',
    ['127.0.4.1', '127.0.5.1', '127.0.8.1', '127.0.11.2'],
    ['127.0.3.1', '127.0.12.1', '127.0.13.1'],
  );
  assertMatches('127.0.2-3.*/22', ['127.0.1.3', '127.0.0.0'], ['127.0.4.3']);
  assertMatches('127.0.0.*/8', ['127.1.2.3', '127.255.255.255'], ['128.0.0.0']);
});

test('IPv6 CIDR at /0, /32, /127 and /128; IPv6 specs also see IPv4 as mapped', () => {
  assertMatches('::/0', ['::', '::1', 'ffff::', '127.0.0.1', '8.8.8.8'], []);
  assertMatches(
    '2001:db8::/32',
    ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:DB8::1%eth0'],
    ['2001:db9::', '2001:db7:ffff::', '1.2.3.4'],
  );
  assertMatches('::/127', ['::', '::1'], ['::2']);
  assertMatches('::2/127', ['::2', '::3'], ['::1', '::4']);
  assertMatches('2001:db8::1', ['2001:db8::1', '2001:db8:0:0:0:0:0:1'], ['2001:db8::2']);
  assertMatches('::ffff:0:0/96', ['0.0.0.0', '127.0.0.1', '::ffff:1.2.3.4'], ['::1', '::1.2.3.4']);
  assertMatches('::ffff:127.0.0.1', ['127.0.0.1'], ['127.0.0.2']);
});

test('names match nothing until resolved', () => {
  assertMatches('localhost', [], ['127.0.0.1', '::1']);
});

test('matching a value that is not an IP literal is an ArgumentError', () => {
  assert.throws(() => matchesHostSpec(parseHostSpec('1.2.3.4'), 'localhost'), {
    code: 'SOCKCAT_ARGS',
    message: 'cannot match "localhost" against host specifications: not an IP address',
  });
});

// Lists and files

test('option values split on commas only, skipping empty items, as ncat (strtok) does', () => {
  assert.deepEqual(parseHostSpecList('192.168.0.0/24,10.0.0.1,,::1,').map(formatHostSpec), [
    '192.168.0.0/24',
    '10.0.0.1',
    '::1',
  ]);
  assert.deepEqual(parseHostSpecList(''), []);
  assert.deepEqual(parseHostSpecList(',,'), []);
  assert.throws(() => parseHostSpecList('1.2.3.4, 5.6.7.8'), {
    code: 'SOCKCAT_ARGS',
    message: 'invalid host specification " 5.6.7.8": it contains whitespace',
  });
});

test('an octet list split by the option comma says where to put it instead', () => {
  assert.throws(() => parseHostSpecList('192.168.1,3.1'), {
    code: 'SOCKCAT_ARGS',
    message:
      'invalid host specification "192.168.1": expected 4 dot-separated octets, found 3 ' +
      '(commas separate host specifications in this list; put octet lists like ' +
      '"192.168.1,3.1" in an --allowfile or --denyfile)',
  });
});

test('host files take whitespace-separated specs, comments and blank lines', () => {
  const contents = [
    '# office',
    '192.168.1,3.1   10.0.0.0/8\t::1',
    '',
    '   ',
    'example.com # the web server',
    '172.16.0.1\r',
    '#',
  ].join('\n');
  assert.deepEqual(parseHostFile(contents).map(formatHostSpec), [
    '192.168.1,3.1',
    '10.0.0.0/8',
    '::1',
    'example.com',
    '172.16.0.1',
  ]);
  assert.deepEqual(parseHostFile(''), []);
});

test('host file errors name the line, never its content', () => {
  assert.throws(() => parseHostFile('10.0.0.1\n\n10.0.0.2 300.1.1.1\n'), {
    code: 'SOCKCAT_ARGS',
    message:
      'line 3 is not a host specification (an IP address, a CIDR block, an nmap-style octet range or a host name)',
  });
  // A password hash line (someone gave --denyfile /etc/shadow): nothing of it is echoed.
  const shadow = 'root:$6$Qx1v$hashhashhash:19000:0:99999:7:::\n';
  assert.throws(
    () => parseHostFile(shadow),
    (error: Error) => !error.message.includes('root') && !error.message.includes('hash'),
  );
});

// Resolution

const fakeLookup =
  (answers: Record<string, Array<{ address: string; family: number }>>): LookupFunction =>
  async (host, { family }) => {
    const found = answers[host];
    if (found === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    }
    return found.filter((a) => family === 0 || a.family === family);
  };

const lookup = fakeLookup({
  'dual.test': [
    { address: '192.0.2.7', family: 4 },
    { address: '2001:DB8::7', family: 6 },
  ],
  'v4.test': [{ address: '198.51.100.1', family: 4 }],
});

test('names become one spec per address, keeping their prefix; addresses pass through', async () => {
  const specs = parseHostSpecList('10.0.0.1,dual.test/24,v4.test,::1');
  const resolved = await resolveHostSpecs(specs, { lookup });
  assert.deepEqual(resolved.map(formatHostSpec), [
    '10.0.0.1',
    '192.0.2.7/24',
    '2001:db8::7/24',
    '198.51.100.1',
    '::1',
  ]);
  assert.ok(matchesHostSpec(resolved[1]!, '192.0.2.200'));
  assert.ok(!matchesHostSpec(resolved[1]!, '192.0.3.7'));
});

test('literal specs never reach the lookup', async () => {
  const never: LookupFunction = () => {
    throw new Error('lookup must not be called');
  };
  const specs = parseHostSpecList('10.0.0.*,::1/64');
  assert.deepEqual(await resolveHostSpecs(specs, { lookup: never }), specs);
});

test('family limits the addresses of names (-4/-6)', async () => {
  const resolved = await resolveHostSpecs([parseHostSpec('dual.test')], { lookup, family: 6 });
  assert.deepEqual(resolved, [{ kind: 'ipv6', address: '2001:db8::7', prefix: 128 }]);
});

test('an unresolvable name is a ResolveError naming it', async () => {
  await assert.rejects(
    resolveHostSpecs(parseHostSpecList('10.0.0.1,nowhere.invalid'), { lookup }),
    {
      name: 'ResolveError',
      code: 'SOCKCAT_RESOLVE',
      message: 'host cannot be resolved: "nowhere.invalid" (Name or service not known)',
    },
  );
});

test('-n refuses names in host specs', async () => {
  await assert.rejects(
    resolveHostSpecs([parseHostSpec('v4.test')], { lookup, numericOnly: true }),
    {
      code: 'SOCKCAT_ARGS',
      message: '"v4.test" is not a numeric IP address and name resolution is disabled (-n)',
    },
  );
});

test('a prefix too long for an IPv4 address of the name is refused, as ncat does', async () => {
  await assert.rejects(resolveHostSpecs([parseHostSpec('v4.test/64')], { lookup }), {
    code: 'SOCKCAT_ARGS',
    message:
      'invalid host specification "v4.test/64": prefix length 64 is too long for IPv4 address ' +
      '198.51.100.1 (0-32)',
  });
});

// The allow/deny decision

test('no lists let everyone in', () => {
  const filter = new HostFilter();
  assert.ok(filter.allows('127.0.0.1'));
  assert.ok(filter.allows('::1'));
});

test('an allow list admits only its hosts', () => {
  const filter = new HostFilter({ allow: parseHostSpecList('127.0.0.1') });
  assert.ok(filter.allows('127.0.0.1'));
  assert.ok(filter.allows('::ffff:127.0.0.1'));
  assert.ok(!filter.allows('127.0.0.5'));
});

test('a deny list excludes its hosts', () => {
  const filter = new HostFilter({ deny: parseHostSpecList('127.0.0.1') });
  assert.ok(!filter.allows('127.0.0.1'));
  assert.ok(filter.allows('127.0.0.5'));
});

test('deny wins over allow, as ncat 7.93 does (not as its man page says)', () => {
  const same = new HostFilter({
    allow: parseHostSpecList('127.0.0.1'),
    deny: parseHostSpecList('127.0.0.1'),
  });
  assert.ok(!same.allows('127.0.0.1'));
  const hole = new HostFilter({
    allow: parseHostSpecList('127.0.0.0/29'),
    deny: parseHostSpecList('127.0.0.5'),
  });
  assert.ok(!hole.allows('127.0.0.5'));
  assert.ok(hole.allows('127.0.0.6'));
  assert.ok(!hole.allows('127.0.0.8'));
});

test('an empty allow list admits no one, an empty deny list denies no one', () => {
  assert.ok(!new HostFilter({ allow: parseHostSpecList('') }).allows('127.0.0.1'));
  assert.ok(new HostFilter({ deny: parseHostSpecList('') }).allows('127.0.0.1'));
});

test('a HostFilter refuses unresolved names', () => {
  assert.throws(() => new HostFilter({ deny: parseHostSpecList('10.0.0.1,evil.test/24') }), {
    code: 'SOCKCAT_ARGS',
    message:
      'host specification "evil.test/24" is a host name: resolve it with resolveHostSpecs() ' +
      'before building a HostFilter',
  });
});

// Properties

const SPEC_CHARS = [...'0123456789.*,-/:abcdefxz[]% #_'];

test('any string parses or throws ArgumentError, never anything else', () => {
  const candidates = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...SPEC_CHARS), maxLength: 40 }),
  );
  fc.assert(
    fc.property(candidates, (text) => {
      try {
        const spec = parseHostSpec(text);
        assert.ok(['ipv4', 'ipv6', 'name'].includes(spec.kind));
      } catch (error) {
        assert.ok(error instanceof ArgumentError, `${JSON.stringify(text)}: ${error}`);
      }
    }),
    { numRuns: 5000 },
  );
});

const toU32 = (address: string): number =>
  address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const fromU32 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');

test('an IPv4 CIDR spec matches exactly the addresses sharing its first p bits', () => {
  // x is a with some bits flipped: the flips land inside and outside the prefix.
  const cases = fc.record({
    a: fc.ipV4(),
    p: fc.integer({ min: 0, max: 32 }),
    flips: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.nat(31).map((b) => 2 ** b),
    ),
  });
  fc.assert(
    fc.property(cases, ({ a, p, flips }) => {
      const x = fromU32((toU32(a) ^ flips) >>> 0);
      const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
      const expected = (toU32(a) & mask) >>> 0 === (toU32(x) & mask) >>> 0;
      const spec = parseHostSpec(`${a}/${p}`);
      assert.equal(matchesHostSpec(spec, x), expected, `${a}/${p} vs ${x}`);
      assert.equal(matchesHostSpec(spec, `::ffff:${x}`), expected);
    }),
    { numRuns: 3000 },
  );
});

test('an IPv6 CIDR spec matches an address with bit b flipped iff b is past the prefix', () => {
  const cases = fc.record({
    a: fc.ipV6(),
    p: fc.integer({ min: 0, max: 128 }),
    b: fc.integer({ min: 0, max: 127 }),
  });
  fc.assert(
    fc.property(cases, ({ a, p, b }) => {
      const bytes = ipv6ToBytes(a);
      bytes[b >> 3]! ^= 0x80 >> (b & 7);
      const x = bytesToIPv6(bytes);
      const spec = parseHostSpec(`${a}/${p}`);
      assert.ok(matchesHostSpec(spec, a));
      assert.equal(matchesHostSpec(spec, x), b >= p, `${a}/${p} vs ${x}`);
    }),
    { numRuns: 3000 },
  );
});

test('an octet range spec matches x iff each octet is in its range', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  // One octet of the spec (a value, a range or *) and one octet of x, often at the range's edges.
  const part = fc
    .oneof(
      octet.map((n) => ({ text: `${n}`, lo: n, hi: n })),
      fc.tuple(octet, octet).map(([m, n]) => {
        const [lo, hi] = m <= n ? [m, n] : [n, m];
        return { text: `${lo}-${hi}`, lo, hi };
      }),
      fc.constant({ text: '*', lo: 0, hi: 255 }),
    )
    .chain((range) =>
      fc
        .oneof(
          octet,
          fc
            .constantFrom(range.lo - 1, range.lo, range.hi, range.hi + 1)
            .filter((n) => n >= 0 && n <= 255),
        )
        .map((x) => ({ ...range, x })),
    );
  fc.assert(
    fc.property(fc.tuple(part, part, part, part), (parts) => {
      const spec = parseHostSpec(parts.map((p) => p.text).join('.'));
      const x = parts.map((p) => p.x).join('.');
      const expected = parts.every((p) => p.lo <= p.x && p.x <= p.hi);
      assert.equal(matchesHostSpec(spec, x), expected, `${formatHostSpec(spec)} vs ${x}`);
      assert.equal(matchesHostSpec(spec, `::ffff:${x}`), expected);
    }),
    { numRuns: 3000 },
  );
});

test('parse → format → parse gives the same spec', () => {
  const octetItem = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map(([m, n]) => `${Math.min(m, n)}-${Math.max(m, n)}`),
    fc.constantFrom('-', '*'),
  );
  const ipv4Octet = fc.oneof(
    octetItem,
    fc
      .array(
        octetItem.filter((item) => item !== '*'),
        { minLength: 1, maxLength: 4 },
      )
      .map((items) => items.join(',')),
  );
  const prefix = (max: number) =>
    fc.option(
      fc.integer({ min: 0, max }).map((p) => `/${p}`),
      { nil: '' },
    );
  const specText = fc.oneof(
    fc
      .tuple(fc.array(ipv4Octet, { minLength: 4, maxLength: 4 }), prefix(32))
      .map(([octets, p]) => `${octets.join('.')}${p}`),
    fc.tuple(fc.oneof(fc.ipV6(), fc.ipV4()), prefix(32)).map(([a, p]) => `${a}${p}`),
    fc.tuple(fc.ipV6(), prefix(128)).map(([a, p]) => `${a}${p}`),
    fc.tuple(fc.domain(), prefix(128)).map(([d, p]) => `${d}${p}`),
  );
  fc.assert(
    fc.property(specText, (text) => {
      const spec: HostSpec = parseHostSpec(text);
      const formatted = formatHostSpec(spec);
      assert.deepEqual(parseHostSpec(formatted), spec, `${text} → ${formatted}`);
      assert.equal(formatHostSpec(parseHostSpec(formatted)), formatted);
    }),
    { numRuns: 3000 },
  );
});
