import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  interleaveFamilies,
  type LookupFunction,
  resolveHost,
  resolveListenAddress,
} from '../../src/address/resolve.js';

const fakeLookup =
  (answers: Array<{ address: string; family: number }>): LookupFunction =>
  async (_host, { family }) =>
    answers.filter((a) => family === 0 || a.family === family);

test('returns IP literals without a lookup', async () => {
  const lookup: LookupFunction = () => {
    throw new Error('lookup must not be called');
  };
  assert.deepEqual(await resolveHost('127.0.0.1', { lookup }), [
    { address: '127.0.0.1', family: 4 },
  ]);
  assert.deepEqual(await resolveHost('::1', { lookup }), [{ address: '::1', family: 6 }]);
});

test('a literal of the wrong family is refused', async () => {
  await assert.rejects(resolveHost('127.0.0.1', { family: 6 }), {
    code: 'SOCKCAT_RESOLVE',
    message: 'address "127.0.0.1" is IPv4 but IPv6 was requested',
  });
});

test('-n refuses host names before any lookup', async () => {
  await assert.rejects(resolveHost('example.com', { numericOnly: true }), {
    code: 'SOCKCAT_ARGS',
    message: '"example.com" is not a numeric IP address and name resolution is disabled (-n)',
  });
});

test('a failed lookup names the host and keeps the system error as cause', async () => {
  const failure = Object.assign(new Error('getaddrinfo ENOTFOUND x.invalid'), {
    code: 'ENOTFOUND',
  });
  const lookup: LookupFunction = () => Promise.reject(failure);
  await assert.rejects(resolveHost('x.invalid', { lookup }), (error: Error & { code: string }) => {
    assert.equal(error.code, 'SOCKCAT_RESOLVE');
    assert.equal(error.message, 'host cannot be resolved: "x.invalid" (Name or service not known)');
    assert.equal(error.cause, failure);
    return true;
  });
});

test('the real resolver fails cleanly on the reserved .invalid TLD', async () => {
  await assert.rejects(resolveHost('nonexistent.invalid'), { code: 'SOCKCAT_RESOLVE' });
});

test('filters by family and reports when none is left', async () => {
  const lookup = fakeLookup([{ address: '10.0.0.1', family: 4 }]);
  await assert.rejects(resolveHost('v4only.test', { family: 6, lookup }), {
    message: 'host cannot be resolved: "v4only.test" has no IPv6 address',
  });
});

test('an abort stops a lookup that never answers', async () => {
  const lookup: LookupFunction = () => new Promise(() => {});
  const controller = new AbortController();
  const pending = resolveHost('slow.test', { lookup, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { code: 'SOCKCAT_ABORTED' });
});

test('interleaves families, keeping the first answer first (RFC 8305)', () => {
  const v4 = (n: number) => ({ address: `10.0.0.${n}`, family: 4 as const });
  const v6 = (n: number) => ({ address: `fd00::${n}`, family: 6 as const });
  assert.deepEqual(interleaveFamilies([v6(1), v6(2), v4(1), v4(2), v4(3)]), [
    v6(1),
    v4(1),
    v6(2),
    v4(2),
    v4(3),
  ]);
  assert.deepEqual(interleaveFamilies([v4(1), v6(1)]), [v4(1), v6(1)]);
  assert.deepEqual(interleaveFamilies([]), []);
});

test('listen address: the wildcard of the family without a host, else the first address', async () => {
  assert.deepEqual(await resolveListenAddress(''), { address: '::', family: 6, ipv6Only: false });
  assert.deepEqual(await resolveListenAddress('', { family: 6 }), {
    address: '::',
    family: 6,
    ipv6Only: true,
  });
  assert.deepEqual(await resolveListenAddress('', { family: 4 }), {
    address: '0.0.0.0',
    family: 4,
    ipv6Only: false,
  });
  const lookup = fakeLookup([{ address: '10.0.0.7', family: 4 }]);
  assert.deepEqual(await resolveListenAddress('host.test', { lookup }), {
    address: '10.0.0.7',
    family: 4,
    ipv6Only: false,
  });
  await assert.rejects(resolveListenAddress('host.test', { numericOnly: true }), {
    code: 'SOCKCAT_ARGS',
  });
});
