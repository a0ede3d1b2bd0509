// -u: connect mode, listen mode (first peer) and -k (one session per peer), against node:dgram
// sockets on loopback port 0. docs/eof.md's UDP rows.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toDatagrams } from '../../src/cli/modes/udp-session.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { closedUdpPort, udpPeer } from '../helpers/udp-peer.js';

test('connect: each stdin read is one datagram, datagrams go to stdout, stdin EOF exits 0 at once', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli(['-v', '-u', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('one');
  const first = await peer.next();
  assert.equal(first.data.toString(), 'one');
  child.stdin!.write('two\nthree\n');
  assert.equal((await peer.next()).data.toString(), 'two\nthree\n', 'one read, one datagram');
  await peer.send('r1', first.from.port);
  await peer.send('r2\n', first.from.port);
  await waitForLine(child.stdout!, /r1r2\n/);
  child.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'r1r2\n');
  assert.match(
    result.stderr,
    new RegExp(`sockcat: Connected to 127\\.0\\.0\\.1:${peer.port}\\.\\n`),
  );
  assert.match(result.stderr, /sockcat: 13 bytes sent, 5 bytes received in \d+\.\d\d seconds\.\n/);
});

test('connect: a read larger than the UDP maximum is split into maximum-size datagrams', async (t) => {
  const peer = await udpPeer(t);
  peer.socket.setRecvBufferSize(1 << 20);
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-udp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'input');
  const input = Buffer.alloc(70_000, 'z');
  await writeFile(file, input);
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  t.after(() => handle.close());
  const child = spawnCli(['-u', '-q', '5', '127.0.0.1', String(peer.port)], {
    stdio: [handle.fd, 'pipe', 'pipe'],
  });
  t.after(() => stop(child));
  const parts: Buffer[] = [];
  let total = 0;
  while (total < input.length) {
    const { data } = await peer.next();
    assert.ok(data.length <= 65_507, `datagram of ${data.length} bytes`);
    parts.push(data);
    total += data.length;
  }
  assert.deepEqual(Buffer.concat(parts), input);
  assert.ok(parts.length >= 2);
});

test('connect: an ICMP port unreachable ends with "Connection refused", exit 1', async (t) => {
  const port = await closedUdpPort();
  const child = spawnCli(['-u', '--json', '127.0.0.1', String(port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('anyone there?\n');
  const result = await done;
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `"message":"udp 127\\.0\\.0\\.1:${port} refused the datagrams: Connection refused \\(ICMP port unreachable\\)"`,
    ),
  );
  assert.match(result.stderr, /"event":"closed","id":1,"reason":"refused","sent":14,"received":0/);
  assert.match(result.stderr, /"event":"error","code":"SOCKCAT_REFUSED"/);
});

test('connect: -q waits for replies after stdin EOF; --json reports the session', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli(['-u', '-q', '2s', '--json', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.end('query');
  const { from } = await peer.next();
  await peer.send('answer', from.port);
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'answer');
  assert.match(result.stderr, /"event":"connected","transport":"udp","id":1/);
  assert.match(
    result.stderr,
    /"event":"closed","id":1,"reason":"quit-after-eof","sent":5,"received":6/,
  );
});

test('connect: -o records each datagram sent and received', async (t) => {
  const peer = await udpPeer(t);
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-udp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'session');
  const child = spawnCli(['-u', '-q', '10', '-o', file, '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  void waitForLine(child.stdout!, /^/);
  child.stdin!.write('out ');
  const { from } = await peer.next();
  await peer.send('in', from.port);
  await waitForLine(child.stdout!, /in/);
  child.kill('SIGTERM');
  assert.equal((await done).code, 143);
  assert.equal(await readFile(file, 'utf8'), 'out in');
});

test('connect: -C turns LF into CRLF in each datagram', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli(['-u', '-C', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  child.stdin!.write('a\nb\n');
  assert.equal((await peer.next()).data.toString(), 'a\r\nb\r\n');
  child.stdin!.end();
  assert.equal((await finished(child)).code, 0);
});

test('connect: --recv-only sends nothing and does not end at stdin EOF; -i ends it, exit 1', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli([
    '-u',
    '--recv-only',
    '-i',
    '300ms',
    '-p',
    '0',
    '127.0.0.1',
    String(peer.port),
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.end('not sent');
  const result = await done;
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'sockcat: idle timeout expired (300 ms)\n');
});

test('connect: --send-only discards datagrams and ends at stdin EOF (U6)', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli(['-u', '--send-only', '--json', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('out');
  const { from } = await peer.next();
  await peer.send('discarded', from.port);
  await peer.send('also discarded', from.port);
  child.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.length, 0);
  assert.match(result.stderr, /"event":"closed","id":1,"reason":"stdin-eof","sent":3/);
});

test('connect: a closed stdout ends quietly with status 0 (U8)', async (t) => {
  const peer = await udpPeer(t);
  const child = spawnCli(['-u', '--json', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdout!.destroy();
  child.stdin!.write('hi');
  const { from } = await peer.next();
  await peer.send('to a closed stdout', from.port);
  const result = await done;
  assert.equal(result.code, 0);
  assert.match(result.stderr, /"event":"closed","id":1,"reason":"stdout-closed"/);
  assert.doesNotMatch(result.stderr, /sockcat: /);
});

async function startListen(args: string[]) {
  const child = spawnCli(['-v', '-u', '-l', ...args, '127.0.0.1', '0']);
  // Collect the output from the start: finished() only sees what arrives after it is called.
  const done = finished(child);
  // Start stdout's transcript now, so that later waits see everything.
  void waitForLine(child.stdout!, /^/);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]), done };
}

test('listen: the first sender is the peer; others are refused; stdin EOF does not end it', async (t) => {
  const { child, port, done } = await startListen(['-v']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  await a.send('hello ', port);
  await waitForLine(child.stderr!, new RegExp(`Connection from 127\\.0\\.0\\.1:${a.port}\\.`));
  child.stdin!.write('back');
  assert.equal((await a.next()).data.toString(), 'back');
  // Another sender: the socket is connected to the first one, so the kernel refuses it.
  const b = await udpPeer(t);
  b.socket.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => b.socket.once('connect', () => resolve()));
  b.socket.send('intruder');
  assert.equal((await b.nextError()).code, 'ECONNREFUSED');
  child.stdin!.end();
  await waitForLine(child.stderr!, /EOF on stdin/);
  await a.send('after stdin EOF', port);
  await waitForLine(child.stdout!, /after stdin EOF/);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143);
  assert.equal(result.stdout.toString(), 'hello after stdin EOF');
});

test('listen: stdin written before the first datagram goes to its sender (U10)', async (t) => {
  const { child, port } = await startListen([]);
  t.after(() => stop(child));
  child.stdin!.write('early');
  const a = await udpPeer(t);
  await a.send('hello', port);
  assert.equal((await a.next()).data.toString(), 'early');
});

test('listen -k: stdin written before any peer goes to the first one (U13)', async (t) => {
  const { child, port } = await startListen(['-k']);
  t.after(() => stop(child));
  child.stdin!.write('early');
  const a = await udpPeer(t);
  await a.send('hello', port);
  assert.equal((await a.next()).data.toString(), 'early');
});

test('listen: --deny drops the sender and waits for an allowed one', async (t) => {
  const { child, port, done } = await startListen(['--deny', '127.0.0.1']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  await a.send('denied', port);
  await waitForLine(
    child.stderr!,
    new RegExp(`New connection denied: not allowed \\(127\\.0\\.0\\.1:${a.port}\\)`),
  );
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.stdout.length, 0);
});

test('listen -k: several peers, each answered; stdin goes to every live peer', async (t) => {
  const { child, port, done } = await startListen(['-k']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  const b = await udpPeer(t);
  await a.send('from a\n', port);
  await waitForLine(child.stderr!, new RegExp(`Connection from 127\\.0\\.0\\.1:${a.port}\\.`));
  await b.send('from b\n', port);
  await waitForLine(child.stderr!, new RegExp(`Connection from 127\\.0\\.0\\.1:${b.port}\\.`));
  child.stdin!.write('to all\n');
  assert.equal((await a.next()).data.toString(), 'to all\n');
  assert.equal((await b.next()).data.toString(), 'to all\n');
  await a.send('again a\n', port);
  await waitForLine(child.stdout!, /again a\n/);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143);
  assert.equal(result.stdout.toString(), 'from a\nfrom b\nagain a\n');
});

test('listen -k: a session expires after -i without datagrams; the peer may start a new one', async (t) => {
  const { child, port } = await startListen(['-k', '-i', '100ms', '--json']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  await a.send('first', port);
  await waitForLine(child.stderr!, /"event":"accepted","transport":"udp","id":1/);
  await waitForLine(
    child.stderr!,
    /"event":"closed","id":1,"reason":"idle-timeout","sent":0,"received":5/,
  );
  await a.send('second', port);
  await waitForLine(child.stderr!, /"event":"accepted","transport":"udp","id":2/);
  await waitForLine(child.stdout!, /firstsecond/);
});

test('listen -k -m 1: datagrams from a peer beyond the limit are dropped and logged', async (t) => {
  const { child, port, done } = await startListen(['-k', '-m', '1']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  const b = await udpPeer(t);
  await a.send('a1', port);
  await waitForLine(child.stderr!, /Connection from/);
  // Two datagrams: a conversation, which a newcomer cannot push out (a one-shot one could be).
  await a.send('a2', port);
  await waitForLine(child.stdout!, /a1a2/);
  await b.send('b1', port);
  await waitForLine(child.stderr!, /New connection denied: connection limit reached \(1\)["\n]/);
  child.stdin!.write('only a');
  assert.equal((await a.next()).data.toString(), 'only a');
  await a.send('a3', port);
  await waitForLine(child.stdout!, /a1a2a3/);
  child.kill('SIGTERM');
  assert.equal((await done).stdout.toString(), 'a1a2a3');
});

test('listen -k -m 1: a peer that sent one datagram only makes room for a new one', async (t) => {
  const { child, port, done } = await startListen(['-k', '-m', '1', '--json']);
  t.after(() => stop(child));
  const once = await udpPeer(t);
  const next = await udpPeer(t);
  await once.send('o1', port);
  await waitForLine(child.stdout!, /o1/);
  await next.send('n1', port);
  await waitForLine(child.stdout!, /o1n1/);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"evicted"/);
  child.stdin!.write('to next');
  assert.equal((await next.next()).data.toString(), 'to next');
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.stdout.toString(), 'o1n1');
  assert.doesNotMatch(result.stderr, /denied/);
});

test('listen -k --deny: denied senders get no session', async (t) => {
  const { child, port, done } = await startListen(['-k', '--deny', '127.0.0.1', '--json']);
  t.after(() => stop(child));
  const a = await udpPeer(t);
  await a.send('x', port);
  await waitForLine(
    child.stderr!,
    /"event":"denied","transport":"udp","remote":\{"address":"127\.0\.0\.1","port":\d+\},"reason":"not-allowed"/,
  );
  child.kill('SIGTERM');
  const result = await done;
  assert.doesNotMatch(result.stderr, /"event":"accepted"/);
  assert.equal(result.stdout.length, 0);
});

test('-u refuses what UDP cannot do yet, exit 2', async () => {
  for (const [args, message] of [
    [['-u', '--proxy-protocol', 'v1', '127.0.0.1', '1'], /--proxy-protocol is for TCP/],
  ] as const) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
});

test('IPv6 and dual stack: -u -l without a host answers IPv4 and IPv6 peers from the right address', async (t) => {
  const child = spawnCli(['-v', '-u', '-l', '-k', '-p', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 0\.0\.0\.0:(\d+)/);
  const port = Number(match[1]);
  assert.match(
    await waitForLine(child.stderr!, /Listening on \[::\]:\d+/).then((m) => m[0]),
    new RegExp(`\\[::\\]:${port}`),
  );
  const v4 = await udpPeer(t, '127.0.0.1');
  const v6 = await udpPeer(t, '::1');
  await v4.send('four', port);
  await waitForLine(child.stderr!, new RegExp(`Connection from 127\\.0\\.0\\.1:${v4.port}\\.`));
  await v6.send('six', port);
  await waitForLine(child.stderr!, new RegExp(`Connection from \\[::1\\]:${v6.port}\\.`));
  child.stdin!.write('both');
  const four = await v4.next();
  const six = await v6.next();
  assert.equal(four.data.toString(), 'both');
  assert.equal(four.from.address, '127.0.0.1');
  assert.equal(six.data.toString(), 'both');
  assert.equal(six.from.address, '::1');
});

test('connect over IPv6 with -6 and a source address', async (t) => {
  const peer = await udpPeer(t, '::1');
  const child = spawnCli(['-v', '-6', '-u', '-s', '::1', '::1', String(peer.port)]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('v6');
  const { data, from } = await peer.next();
  assert.equal(data.toString(), 'v6');
  assert.equal(from.address, '::1');
  child.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0);
  assert.match(result.stderr, new RegExp(`Connected to \\[::1\\]:${peer.port}\\.`));
});

test('-z -u: one port, as ncat: exit 1 with the refusal when closed, 0 otherwise', async (t) => {
  const closed = await closedUdpPort();
  const refused = await runCli(['-z', '-u', '127.0.0.1', String(closed)]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `sockcat: udp 127.0.0.1:${closed} refused the datagrams: Connection refused (ICMP port unreachable)\n`,
  );
  const echo = await udpPeer(t);
  echo.socket.on('message', (data, from) => echo.socket.send(data, from.port, from.address));
  const open = await runCli(['-v', '-z', '-u', '--json', '127.0.0.1', String(echo.port)]);
  assert.equal(open.code, 0);
  assert.equal(open.stdout.length, 0, 'the reply is not printed');
  assert.match(open.stderr, /"event":"log","level":1,"message":"UDP packet sent successfully"/);
  assert.match(open.stderr, /"event":"scan","host":"127\.0\.0\.1","port":\d+,"state":"open"/);
});

test('-z -u with a list: open (answered), closed (refused), open|filtered (silent)', async (t) => {
  const echo = await udpPeer(t);
  echo.socket.on('message', (data, from) => echo.socket.send(data, from.port, from.address));
  const silent = await udpPeer(t);
  const closed = await closedUdpPort();
  const ports = [echo.port, closed, silent.port];
  // -w is the wait for the echo's answer too, which comes through this (busy) test process: 1 s,
  // not 100 ms, or a loaded machine turns "open" into "open|filtered".
  const result = await runCli(['-z', '-u', '-w', '1s', '127.0.0.1', ports.join(',')]);
  assert.equal(result.code, 0);
  const lines = result.stdout.toString().split('\n').filter(Boolean).sort();
  assert.deepEqual(
    lines,
    [`127.0.0.1:${echo.port} open`, `127.0.0.1:${silent.port} open|filtered`].sort(),
  );
  assert.match(
    result.stderr,
    /sockcat: scanned 3 UDP ports on 127\.0\.0\.1 in \d+\.\d\d s: 1 open, 1 closed, 1 open\|filtered\n/,
  );
});

test('toDatagrams: a read up to the maximum is one datagram, a larger one is split', () => {
  const max = 4;
  assert.deepEqual(toDatagrams(Buffer.from('abcd'), max).map(String), ['abcd']);
  assert.deepEqual(toDatagrams(Buffer.from('abcdefghi'), max).map(String), ['abcd', 'efgh', 'i']);
});
