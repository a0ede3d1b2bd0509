// --broker and --chat: fan-out between clients, stdin to all, chat names and escaping, bounded
// per-client queues (a client that stops reading is cut off), -m, --deny, --json, -o.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import type { Tube } from '../../src/tube/tube.js';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';

async function startBroker(t: import('node:test').TestContext, args: string[]) {
  const child = spawnCli(['-v', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

/** Wait until the broker has logged `n` "Connection from" lines in all. */
function connections(child: ChildProcess, n: number) {
  return waitForLine(child.stderr!, new RegExp(`^(?:[\\s\\S]*?Connection from ){${n}}`));
}

async function clients(t: import('node:test').TestContext, port: number, n: number) {
  const tubes: Tube[] = [];
  for (let i = 0; i < n; i++) tubes.push(await connect(`127.0.0.1:${port}`));
  t.after(() => {
    for (const tube of tubes) tube.destroy();
  });
  return tubes;
}

interface JsonEvent {
  event: string;
  id?: number;
  reason?: string;
  [key: string]: unknown;
}

function jsonEvents(stderr: string): JsonEvent[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonEvent);
}

test('--broker: each client reaches all the others but not itself; stdin reaches all; stdout stays empty', async (t) => {
  const { child, port } = await startBroker(t, ['--broker', '--json']);
  const [a, b, c] = (await clients(t, port, 3)) as [Tube, Tube, Tube];
  await connections(child, 3);
  await a.sendLine('from a');
  assert.equal((await b.recvLine()).toString(), 'from a\n');
  assert.equal((await c.recvLine()).toString(), 'from a\n');
  await b.sendLine('from b');
  // a's first line is b's: its own never came back.
  assert.equal((await a.recvLine()).toString(), 'from b\n');
  assert.equal((await c.recvLine()).toString(), 'from b\n');
  child.stdin!.write('from stdin\n');
  for (const tube of [a, b, c]) assert.equal((await tube.recvLine()).toString(), 'from stdin\n');
  // A client's FIN closes its connection (as ncat); the others go on.
  await a.shutdown('send');
  assert.equal((await a.recvAll()).length, 0);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"peer-eof"/);
  // Stdin's EOF sends no FIN (as ncat): b and c still talk.
  child.stdin!.end();
  await c.sendLine('from c');
  assert.equal((await b.recvLine()).toString(), 'from c\n');
  const done = finished(child);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143);
  assert.equal(result.stdout.length, 0, 'nothing on stdout');
  // The whole of stderr (waitForLine has been reading it all along).
  const [stderr] = await waitForLine(child.stderr!, /[\s\S]*/);
  const events = jsonEvents(stderr);
  assert.deepEqual(
    events.filter((e) => e.event === 'accepted').map((e) => e.id),
    [1, 2, 3],
  );
  const closed = events.filter((e) => e.event === 'closed');
  assert.deepEqual(closed.find((e) => e.id === 1)?.received, 'from a\n'.length);
  assert.deepEqual(closed.find((e) => e.id === 1)?.sent, 'from b\nfrom stdin\n'.length);
});

test('--chat: names, announcements, prefixed lines, control characters escaped', async (t) => {
  const { child, port } = await startBroker(t, ['--chat']);
  const [a] = (await clients(t, port, 1)) as [Tube];
  assert.equal(
    (await a.recvUntil('nobody.\n')).toString(),
    '<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: nobody.\n',
  );
  const [b] = (await clients(t, port, 1)) as [Tube];
  const joined =
    '<announce> 127.0.0.1 is connected as <user2>.\n' +
    '<announce> already connected: 127.0.0.1 as <user1>.\n';
  assert.equal((await a.recvUntil('<user1>.\n')).toString(), joined);
  assert.equal((await b.recvUntil('<user1>.\n')).toString(), joined);
  await waitForLine(child.stderr!, /Connection from 127\.0\.0\.1:\d+ as <user2>\./);
  // A line in two pieces is one message; each line gets its own prefix.
  await a.send('hel');
  await a.send('lo\nsecond line\n');
  assert.equal((await b.recvLine()).toString(), '<user1> hello\n');
  assert.equal((await b.recvLine()).toString(), '<user1> second line\n');
  // No peer can drive another's terminal: ESC, BEL, a lone CR and C1 (U+009B) are escaped;
  // UTF-8 text and a CRLF line ending are not.
  await a.send(Buffer.from('\x1b[2J\x07 x\ry \u009b 你好\r\n', 'utf8'));
  assert.equal(
    (await b.recvLine()).toString(),
    '<user1> \\033[2J\\007 x\\015y \\302\\233 你好\r\n',
  );
  child.stdin!.write('from stdin\n');
  assert.equal((await a.recvLine()).toString(), '<user0> from stdin\n');
  assert.equal((await b.recvLine()).toString(), '<user0> from stdin\n');
  // An unfinished line is sent at the sender's end of file, then the leave announcement.
  await a.send('no newline');
  await a.shutdown('send');
  assert.equal(
    (await b.recvUntil('disconnected.\n')).toString(),
    '<user1> no newline<announce> <user1> is disconnected.\n',
  );
});

test('--broker: a client that never reads is cut off; the others get everything; memory stays bounded', async (t) => {
  // Enough that a queue keeping what the slow client misses would show far above the garbage of
  // 64 KiB reads that the GC has not collected yet (20-40 MiB measured, whatever the size).
  const total = 128 * 1024 * 1024;
  const { child, port } = await startBroker(t, ['--broker', '--json']);
  const open = async () => {
    const socket = netConnect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => {}); // the broker's kill at the end resets them
    await once(socket, 'connect');
    return socket;
  };
  const slow = await open();
  slow.pause(); // never reads
  const receiver = await open();
  const sender = await open();
  await connections(child, 3);
  const rssKiB = (field: 'VmRSS' | 'VmHWM') => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  };
  const before = rssKiB('VmRSS');
  let received = 0;
  const allReceived = new Promise<void>((resolve) => {
    receiver.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= total) resolve();
    });
  });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!sender.write(chunk)) await once(sender, 'drain');
  }
  await allReceived;
  assert.equal(received, total);
  await waitForLine(child.stderr!, /Closing connection from 127\.0\.0\.1:\d+: slow consumer/);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"slow-consumer"/);
  // The slow client, reading at last, finds its connection closed (reset, or FIN when Node
  // could not reset it).
  slow.resume();
  await new Promise((resolve) => slow.once('close', resolve));
  const grownMiB = (rssKiB('VmHWM') - before) / 1024;
  t.diagnostic(`peak RSS grew by ${grownMiB.toFixed(1)} MiB`);
  // Unbounded, the slow client's queue alone would hold nearly all of the 128 MiB sent.
  assert.ok(grownMiB < 64, `peak RSS grew by ${grownMiB.toFixed(1)} MiB while 128 MiB passed`);
});

test("-m: clients beyond the limit are closed at once, with ncat's message", async (t) => {
  const { child, port } = await startBroker(t, ['--broker', '-m', '2', '--json']);
  const [a, b] = (await clients(t, port, 2)) as [Tube, Tube];
  await connections(child, 2);
  const [c] = (await clients(t, port, 1)) as [Tube];
  assert.equal((await c.recvAll()).length, 0);
  await waitForLine(child.stderr!, /New connection denied: connection limit reached \(2\)/);
  await waitForLine(child.stderr!, /"event":"denied"[^\n]*"reason":"max-conns"/);
  await a.sendLine('still here');
  assert.equal((await b.recvLine()).toString(), 'still here\n');
});

test('--no-shutdown: warned about by name; stdin EOF leaves the clients connected either way (as ncat)', async (t) => {
  for (const mode of ['--broker', '--chat']) {
    const child = spawnCli(['-v', mode, '--no-shutdown', '127.0.0.1', '0']);
    t.after(() => stop(child));
    await waitForLine(
      child.stderr!,
      new RegExp(`warning: --no-shutdown has no effect with ${mode} \\(.*\\); ignored`),
    );
    const [, port] = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const [a, b] = (await clients(t, Number(port), 2)) as [Tube, Tube];
    await connections(child, 2);
    child.stdin!.end('last\n');
    await lineMatching(a, /last\n$/);
    await lineMatching(b, /last\n$/);
    // No FIN came with stdin's end: the clients still reach each other.
    await a.sendLine('after eof');
    await lineMatching(b, /after eof\n$/);
  }
});

/** Read lines (chat announcements among them) until one matches. */
async function lineMatching(tube: Tube, pattern: RegExp): Promise<string> {
  for (;;) {
    const line = (await tube.recvLine()).toString();
    if (pattern.test(line)) return line;
  }
}

test('--deny: a denied client is refused and takes no part', async (t) => {
  const { child, port } = await startBroker(t, ['--chat', '--deny', '127.0.0.1']);
  const socket = netConnect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  let got = 0;
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length;
  });
  await new Promise((resolve) => socket.once('close', resolve));
  assert.equal(got, 0, 'no announcement reached the denied client');
  await waitForLine(child.stderr!, /New connection denied: not allowed \(127\.0\.0\.1:\d+\)/);
});

test('-o records what clients send and each broadcast once, as ncat does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'session.log');
  const { child, port } = await startBroker(t, ['--broker', '-o', log]);
  const [a, b, c] = (await clients(t, port, 3)) as [Tube, Tube, Tube];
  await connections(child, 3);
  await a.sendLine('one');
  assert.equal((await b.recvLine()).toString(), 'one\n');
  assert.equal((await c.recvLine()).toString(), 'one\n');
  child.stdin!.write('in\n');
  assert.equal((await a.recvLine()).toString(), 'in\n');
  assert.equal(readFileSync(log, 'utf8'), 'one\none\nin\n');
});

test('--chat with -C: stdin lines end in CRLF; what clients send is untouched', async (t) => {
  const { child, port } = await startBroker(t, ['--chat', '-C']);
  const [a, b] = (await clients(t, port, 2)) as [Tube, Tube];
  await connections(child, 2);
  await a.recvUntil('already connected: 127.0.0.1 as <user1>.\n');
  await b.recvUntil('already connected: 127.0.0.1 as <user1>.\n');
  child.stdin!.write('hi\n');
  assert.equal((await a.recvLine()).toString(), '<user0> hi\r\n');
  await a.sendLine('plain');
  assert.equal((await b.recvUntil('plain\n')).toString(), '<user0> hi\r\n<user1> plain\n');
});

test('--broker -i: an idle client is closed on its own; --json says idle-timeout', async (t) => {
  const { child, port } = await startBroker(t, ['--broker', '-i', '2s', '--json']);
  const [a] = (await clients(t, port, 1)) as [Tube];
  assert.equal((await a.recvAll()).length, 0, 'closed by the broker');
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"idle-timeout"/);
  // The broker goes on.
  const [b, c] = (await clients(t, port, 2)) as [Tube, Tube];
  await b.sendLine('still brokering');
  assert.equal((await c.recvLine()).toString(), 'still brokering\n');
});
