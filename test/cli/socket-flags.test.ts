// -T, --ttl, --keepalive, -I, -O: parsed by pure functions, and seen on the live socket by ss(8).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import {
  parseBufferSize,
  parseKeepAlive,
  parseTos,
  parseTtl,
  TOS_KEYWORDS,
} from '../../src/cli/socket-flags.js';
import { loadNative } from '../../src/native/load.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

test('-T takes nc(1) keywords, DiffServ code points and numbers', () => {
  assert.deepEqual(
    [
      'lowdelay',
      'throughput',
      'reliability',
      'lowcost',
      'critical',
      'ef',
      'af11',
      'af43',
      'cs0',
      'cs7',
    ].map(parseTos),
    [0x10, 0x08, 0x04, 0x02, 0xa0, 0xb8, 0x28, 0x98, 0x00, 0xe0],
  );
  assert.equal(parseTos('LowDelay'), 0x10);
  assert.equal(parseTos('184'), 184);
  assert.equal(parseTos('0xb8'), 0xb8);
  assert.equal(Object.keys(TOS_KEYWORDS).length, 28);
  for (const bad of ['256', '-1', 'fast', '0x100', '']) {
    assert.throws(() => parseTos(bad), { code: 'SOCKCAT_ARGS' }, bad);
  }
});

test('--ttl, -I/-O and --keepalive values', () => {
  assert.equal(parseTtl('64'), 64);
  assert.throws(() => parseTtl('0'), /invalid --ttl "0"/);
  assert.equal(parseBufferSize('65536', '-I'), 65_536);
  assert.equal(parseBufferSize('64k', '-I'), 65_536);
  assert.equal(parseBufferSize('2M', '-O'), 2 * 1024 * 1024);
  assert.throws(() => parseBufferSize('lots', '-O'), /invalid -O buffer size "lots"/);
  assert.equal(parseKeepAlive(''), true);
  assert.deepEqual(parseKeepAlive('30'), { idle: 30_000 });
  assert.deepEqual(parseKeepAlive('30,5,4'), { idle: 30_000, interval: 5_000, count: 4 });
  assert.deepEqual(parseKeepAlive(',500ms'), { interval: 500 });
  assert.throws(() => parseKeepAlive('1,2,3,4'), /IDLE\[,INTERVAL\[,COUNT\]\]/);
  assert.throws(() => parseKeepAlive('1,2,0'), /probe count "0"/);
});

test('the flags become socket options; where they cannot apply, a clear error', () => {
  assert.deepEqual(parseArgs(['-T', 'ef', '--ttl', '3', '--keepalive', 'h', '1']).socket, {
    tos: 0xb8,
    ttl: 3,
    keepAlive: true,
  });
  assert.deepEqual(parseArgs(['--keepalive=10,2', '-I', '1k', '-lk', '1']).socket, {
    receiveBufferSize: 1024,
    keepAlive: { idle: 10_000, interval: 2_000 },
  });
  assert.equal(parseArgs(['h', '1']).socket, undefined);
  for (const [argv, message] of [
    [['-U', '-T', 'ef', '/tmp/s'], '-T: IP socket options; a Unix socket (-U) has none'],
    [
      ['-u', '--keepalive', 'h', '1'],
      '--keepalive is for TCP; UDP has no connection to keep alive',
    ],
    [['-u', '-l', '--ttl', '2', '1'], '--ttl with -u -l is not implemented yet'],
    [['-z', '-T', 'ef', 'h', '1'], '-T cannot be used with -z'],
  ] as const) {
    assert.throws(() => parseArgs(argv), { code: 'SOCKCAT_ARGS', message }, argv.join(' '));
  }
});

test('connect mode: ss(8) sees the TOS, the keepalive timer and the buffer sizes', {
  skip: loadNative() ? false : 'the native addon is not built',
}, async (t) => {
  const ss = requirePeer(t, 'ss');
  if (!ss) return;
  const server = createServer((socket: Socket) => socket.resume());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection');
  const child = spawnCli([
    '-v',
    '-T',
    'lowdelay',
    '--ttl',
    '9',
    '-I',
    '64k',
    '-O',
    '128k',
    '--keepalive=30,5,4',
    '127.0.0.1',
    String(port),
  ]);
  t.after(() => stop(child));
  const [socket] = (await accepted) as [Socket];
  // The options are set once the connection is up: "Connected to" comes after them.
  await waitForLine(child.stderr!, /Connected to/);
  const shown = execFileSync(ss, [
    '-tnoim',
    '--tos',
    'state',
    'established',
    `( dport = :${port} and sport = :${socket.remotePort} )`,
  ]).toString();
  assert.match(shown, /tos:0x10\b/);
  assert.match(shown, /timer:\(keepalive,\d+sec,0\)/);
  // The kernel doubles a buffer size for its bookkeeping (socket(7)).
  assert.match(shown, /rb131072\b/);
  assert.match(shown, /tb262144\b/);
});

/** A python3 listener that keeps each client's SYN (TCP_SAVE_SYN) and prints its TTL and TOS. */
const SYN_PEER = `
import socket, sys
six = sys.argv[1] == '6'
s = socket.socket(socket.AF_INET6 if six else socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, 27, 1)  # TCP_SAVE_SYN
s.bind(('::1' if six else '127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
h = c.getsockopt(socket.IPPROTO_TCP, 28, 512)  # TCP_SAVED_SYN: the IP header first
ttl, tos = (h[7], (h[0] & 15) << 4 | h[1] >> 4) if six else (h[8], h[1])
print('syn ttl', ttl, 'tos', tos, flush=True)
c.recv(16)
`;

test('connect mode: --ttl and -T are on the SYN already (IPv4 and IPv6), as nc sets -M and -T', {
  skip: loadNative() ? false : 'the native addon is not built',
}, async (t) => {
  const python = requirePeer(t, 'python3');
  if (!python) return;
  for (const [family, host] of [
    ['4', '127.0.0.1'],
    ['6', '::1'],
  ] as const) {
    const peer = spawn(python, ['-c', SYN_PEER, family], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => stop(peer));
    const port = (await waitForLine(peer.stdout!, /^(\d+)\n/))[1]!;
    const child = spawnCli(['--ttl', '16', '-T', 'lowdelay', host, port]);
    t.after(() => stop(child));
    child.stdin!.end('x');
    await waitForLine(peer.stdout!, new RegExp(`syn ttl 16 tos ${0x10}\\n`));
    assert.equal((await finished(child)).code, 0);
  }
});

test('bad values exit 2 with one line', async () => {
  const { code, stderr } = await runCli(['--ttl', '300', '127.0.0.1', '1']);
  assert.equal(code, 2);
  assert.equal(stderr, 'sockcat: invalid --ttl "300" (a whole number from 1 to 255)\n');
});
