// A command per datagram peer: -u -l -k -e (a child per UDP peer, as ncat), and -e over Unix
// datagram sockets (-U -u: connect mode, -l, -l -k), with --js-exec and --lua-exec on the same
// path. Each test ends sockcat with a signal and checks that every child it started was reaped.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connectUdp } from '../../src/dial/connect-udp.js';
import { loadNative } from '../../src/native/load.js';
import { openUnixDatagram } from '../../src/transports/unix-datagram.js';
import { alive, finished, spawnCli, stop, terminated, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';
import { udpPeer } from '../helpers/udp-peer.js';

const skipUnix = loadNative() ? false : 'the native addon is not built';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-dgram-exec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The --json events sockcat printed on stderr so far (NDJSON, one per line). */
function eventsOf(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Start a UDP listener with `args` and --json on stderr; resolves with its port. */
async function startUdp(t: TestContext, args: string[]) {
  const child = spawnCli(['--json', '-vv', '-u', '-l', '-k', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number(
    (await waitForLine(child.stderr!, /"event":"listening"[^\n]*"port":(\d+)/))[1],
  );
  return { child, port };
}

/** Wait for the `exec` event of session `id`; resolves with the child's pid. */
async function pidOf(child: ChildProcess, id: number): Promise<number> {
  const match = await waitForLine(
    child.stderr!,
    new RegExp(`"event":"exec","id":${id},[^\\n]*"pid":(\\d+)}`),
  );
  return Number(match[1]);
}

/** The id of the session that `accepted` reports for the peer on loopback port `port`. */
async function sessionOf(child: ChildProcess, port: number): Promise<number> {
  const match = await waitForLine(
    child.stderr!,
    new RegExp(
      `"event":"accepted"[^\\n]*"id":(\\d+),[^\\n]*"remote":\\{"address":"127\\.0\\.0\\.1","port":${port}\\}`,
    ),
  );
  return Number(match[1]);
}

/** SIGTERM sockcat, wait for its exit (143), and check that none of `pids` is left. */
async function terminate(child: ChildProcess, pids: number[]) {
  const done = finished(child);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143, result.stderr);
  for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} was left running`);
  // Everything it printed on stderr, the lines seen by earlier waits included.
  const stderr = (await waitForLine(child.stderr!, /^[\s\S]*$/))[0];
  return { ...result, stderr };
}

test('-u -l -k -e /bin/cat: three peers at once, each with its own child (U14, U17)', async (t) => {
  const { child, port } = await startUdp(t, ['-e', '/bin/cat']);
  const peers = await Promise.all([udpPeer(t), udpPeer(t), udpPeer(t)]);
  // All three first datagrams at once: each goes to its own child (ncat 7.93 hands them all
  // to the first child when they arrive together; one at a time it does as sockcat).
  await Promise.all(peers.map((peer, i) => peer.send(`hello ${i}\n`, port)));
  for (const [i, peer] of peers.entries()) {
    const echoed = await peer.next();
    assert.equal(echoed.data.toString(), `hello ${i}\n`);
    assert.equal(echoed.from.port, port);
  }
  for (const [i, peer] of peers.entries()) await peer.send(`again ${i}\n`, port);
  for (const [i, peer] of peers.entries()) {
    assert.equal((await peer.next()).data.toString(), `again ${i}\n`);
  }
  const pids = await Promise.all([1, 2, 3].map((id) => pidOf(child, id)));
  assert.equal(new Set(pids).size, 3, 'one child per peer');
  const result = await terminate(child, pids);
  const events = eventsOf(result.stderr);
  const accepted = events.filter((e) => e['event'] === 'accepted');
  assert.deepEqual(
    accepted.map((e) => e['transport']),
    ['udp', 'udp', 'udp'],
  );
  assert.deepEqual(
    new Set(accepted.map((e) => (e['remote'] as { port: number }).port)),
    new Set(peers.map((peer) => peer.port)),
  );
  const closed = events.filter((e) => e['event'] === 'closed');
  assert.equal(closed.length, 3);
  for (const event of closed) {
    assert.equal(event['reason'], 'aborted');
    assert.equal(event['received'], 'hello 0\n'.length + 'again 0\n'.length);
    assert.equal(event['sent'], event['received']);
  }
  assert.equal(events.filter((e) => e['event'] === 'exited').length, 3);
});

test('-u -l -k -c: the child exiting ends the session; the next datagram starts a new one (U15)', async (t) => {
  const { child, port } = await startUdp(t, [
    '-c',
    'read line; echo "got $line from $NCAT_REMOTE_ADDR:$NCAT_REMOTE_PORT $NCAT_PROTO"',
  ]);
  const peer = await udpPeer(t);
  await peer.send('one\n', port);
  assert.equal((await peer.next()).data.toString(), `got one from 127.0.0.1:${peer.port} UDP\n`);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"exited"/);
  await peer.send('two\n', port);
  assert.equal((await peer.next()).data.toString(), `got two from 127.0.0.1:${peer.port} UDP\n`);
  await waitForLine(child.stderr!, /"event":"closed","id":2,"reason":"exited"/);
  const pids = [await pidOf(child, 1), await pidOf(child, 2)];
  assert.notEqual(pids[0], pids[1]);
  await terminate(child, pids);
});

test('-u -l -k -e with -i: an idle session ends its child (its process group), reaped (U16)', async (t) => {
  const python = requirePeer(t, 'python3');
  if (!python) return;
  // The shell's own child (sleep) is in the child's process group: it ends too. The shell says
  // both pids once sleep runs. -i is 2 s, not 300 ms: the session's first idle period is also
  // the time the shell has to start and answer, which a loaded machine once took longer than.
  const { child, port } = await startUdp(t, [
    '-i',
    '2s',
    '-c',
    'sleep 600 & echo "sleeper $$ $!"; wait',
  ]);
  const peer = await udpPeer(t);
  await peer.send('wake\n', port);
  const [, shell, sleeper] = /^sleeper (\d+) (\d+)\n$/.exec((await peer.next()).data.toString())!;
  const pid = await pidOf(child, 1);
  assert.equal(Number(shell), pid);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"idle-timeout"/);
  await waitForLine(child.stderr!, /"event":"exited","id":1,"code":null,"signal":"SIGTERM"/);
  assert.equal(alive(pid), false);
  // The sleep got the group's SIGTERM too (it is not sockcat's child: wait on a pidfd).
  await terminated(t, python, Number(sleeper));
  // sockcat goes on serving: a later datagram from the same peer gets a new child.
  await peer.send('again\n', port);
  assert.match((await peer.next()).data.toString(), /^sleeper \d+ \d+\n$/);
  await terminate(child, [pid, await pidOf(child, 2)]);
});

test('-u -l -k -m 1 -e: a second peer is denied while the first session lives', async (t) => {
  const { child, port } = await startUdp(t, ['-m', '1', '-e', '/bin/cat']);
  const first = await udpPeer(t);
  const second = await udpPeer(t);
  // Two datagrams: a conversing session, which a newcomer never evicts.
  await first.send('a\n', port);
  await first.next();
  await first.send('b\n', port);
  await first.next();
  await second.send('c\n', port);
  await waitForLine(child.stderr!, /"event":"denied"[^\n]*"reason":"max-conns"/);
  await first.send('d\n', port);
  assert.equal((await first.next()).data.toString(), 'd\n');
  await terminate(child, [await pidOf(child, 1)]);
});

test('-u -l -k -e: a chunk larger than a UDP datagram is split at the maximum', async (t) => {
  const { child, port } = await startUdp(t, ['-c', 'read line; head -c 100000 /dev/zero']);
  const peer = await udpPeer(t);
  peer.socket.setRecvBufferSize(1 << 20);
  await peer.send('go\n', port);
  let total = 0;
  while (total < 100_000) {
    const { data } = await peer.next();
    assert.ok(data.length <= 65_507, `datagram of ${data.length} bytes`);
    total += data.length;
  }
  assert.equal(total, 100_000);
  await waitForLine(child.stderr!, /"event":"closed","id":1,"reason":"exited"/);
  await terminate(child, [await pidOf(child, 1)]);
});

test('-u -l -k --js-exec and --lua-exec: a module or a script for each peer', async (t) => {
  const dir = await tempDir(t);
  const module = join(dir, 'upper.mjs');
  await writeFile(
    module,
    'export default async function (tube, info) {\n' +
      '  for (;;) {\n' +
      '    const line = await tube.recvLine({ signal: info.signal });\n' +
      "    await tube.send(info.proto + ' ' + line.toString().toUpperCase());\n" +
      '  }\n' +
      '}\n',
  );
  const script = join(dir, 'echo.lua');
  await writeFile(
    script,
    'while true do\n  local line = io.read("L")\n  if line == nil then break end\n' +
      '  io.write(os.getenv("NCAT_PROTO") .. " " .. line)\n  io.stdout:flush()\nend\n',
  );
  for (const args of [
    ['--js-exec', module],
    ['--lua-exec', script],
  ]) {
    const { child, port } = await startUdp(t, args);
    const peers = await Promise.all([udpPeer(t), udpPeer(t)]);
    await Promise.all(peers.map((peer, i) => peer.send(`line ${i}\n`, port)));
    const expected =
      args[0] === '--js-exec' ? (i: number) => `UDP LINE ${i}\n` : (i: number) => `UDP line ${i}\n`;
    for (const [i, peer] of peers.entries()) {
      assert.equal((await peer.next()).data.toString(), expected(i), args[0]);
    }
    const result = await terminate(child, []);
    const accepted = eventsOf(result.stderr).filter((e) => e['event'] === 'accepted');
    assert.equal(accepted.length, 2, args[0]);
  }
});

test('-U -u -e in connect mode: the child talks with the peer; SOCKCAT_REMOTE_ADDR is its path', {
  skip: skipUnix,
}, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'server.sock');
  const server = await openUnixDatagram({ path });
  t.after(() => server.close());
  const client = spawnCli([
    '-U',
    '-u',
    '-c',
    'echo "$SOCKCAT_PROTO $SOCKCAT_REMOTE_ADDR $NCAT_PROTO $NCAT_REMOTE_ADDR"; exec cat',
    path,
  ]);
  t.after(() => stop(client));
  const greeting = await server.receive();
  assert.equal(greeting.data.toString(), `UNIX-DGRAM ${path} UDP localhost\n`);
  await server.send('ping\n', greeting.from);
  assert.equal((await server.receive()).data.toString(), 'ping\n');
  const done = finished(client);
  client.kill('SIGTERM');
  assert.equal((await done).code, 143);
});

test('-U -u -l -e: the first named sender gets the child; an unbound one is dropped, said at -v', {
  skip: skipUnix,
}, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'listen.sock');
  const server = spawnCli([
    '-v',
    '-U',
    '-u',
    '-l',
    '-c',
    'echo "from $SOCKCAT_REMOTE_ADDR"; exec cat',
    path,
  ]);
  t.after(() => stop(server));
  await waitForLine(server.stderr!, /Listening on /);
  const unbound = await openUnixDatagram({ connect: path });
  t.after(() => unbound.close());
  await unbound.send('anyone?\n');
  await waitForLine(
    server.stderr!,
    /datagram from an unbound Unix socket dropped: it cannot be answered, so no command runs for it/,
  );
  const named = await openUnixDatagram({ path: join(dir, 'client.sock'), connect: path });
  t.after(() => named.close());
  await named.send('hello\n');
  // The greeting and the echo are two writes of the child: one datagram or two, as it happens.
  const expected = `from ${join(dir, 'client.sock')}\nhello\n`;
  let got = '';
  while (got.length < expected.length) got += (await named.receive()).data.toString();
  assert.equal(got, expected);
  await waitForLine(server.stderr!, new RegExp(`Connection from ${join(dir, 'client.sock')}\\.`));
  const done = finished(server);
  server.kill('SIGTERM');
  assert.equal((await done).code, 143);
});

test('-U -u -l -k -e: each named peer gets its own child', { skip: skipUnix }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'listen.sock');
  const server = spawnCli(['--json', '-U', '-u', '-l', '-k', '-e', '/bin/cat', path]);
  t.after(() => stop(server));
  await waitForLine(server.stderr!, /"event":"listening"/);
  const peers = await Promise.all(
    [0, 1, 2].map((i) => openUnixDatagram({ path: join(dir, `peer${i}.sock`), connect: path })),
  );
  t.after(() => Promise.all(peers.map((peer) => peer.close())));
  await Promise.all(peers.map((peer, i) => peer.send(`peer ${i}\n`)));
  for (const [i, peer] of peers.entries()) {
    assert.equal((await peer.receive()).data.toString(), `peer ${i}\n`);
  }
  const pids = await Promise.all([1, 2, 3].map((id) => pidOf(server, id)));
  assert.equal(new Set(pids).size, 3);
  const result = await terminate(server, pids);
  const accepted = eventsOf(result.stderr).filter((e) => e['event'] === 'accepted');
  assert.deepEqual(
    accepted.map((e) => e['transport']),
    ['unix-dgram', 'unix-dgram', 'unix-dgram'],
  );
});

test('-u -l -k -e: sockcat stdin is not read (the children talk with the peers)', async (t) => {
  const { child, port } = await startUdp(t, ['-e', '/bin/cat']);
  child.stdin!.write('not for the peers\n');
  const peer = await udpPeer(t);
  await peer.send('mine\n', port);
  assert.equal((await peer.next()).data.toString(), 'mine\n');
  child.stdin!.end();
  await peer.send('still mine\n', port);
  assert.equal((await peer.next()).data.toString(), 'still mine\n');
  await terminate(child, [await pidOf(child, 1)]);
});

test('-u -l -k --ssl -e: a command for each DTLS peer; its close_notify ends the command', async (t) => {
  const { child, port } = await startUdp(t, ['--ssl', '-e', '/bin/cat']);
  const peers = await Promise.all(
    [0, 1].map(() => connectUdp(`127.0.0.1:${port}`, { tls: { insecure: true } })),
  );
  t.after(() => Promise.all(peers.map((peer) => peer.close())));
  for (const [i, peer] of peers.entries()) await peer.send(`dtls ${i}\n`);
  for (const [i, peer] of peers.entries()) {
    assert.equal((await peer.recv())?.toString(), `dtls ${i}\n`);
  }
  // A session's id comes at the end of its handshake, and the two handshakes run side by side:
  // which peer is which session is read from the accepted events, by the peer's port.
  const ids: number[] = [];
  for (const peer of peers) ids.push(await sessionOf(child, peer.local.port));
  const pids = [await pidOf(child, ids[0]!), await pidOf(child, ids[1]!)];
  assert.notEqual(pids[0], pids[1]);
  await peers[0]!.close();
  await waitForLine(
    child.stderr!,
    new RegExp(`"event":"closed","id":${ids[0]},[^\\n]*"reason":"peer-closed"`),
  );
  await waitForLine(child.stderr!, new RegExp(`"event":"exited","id":${ids[0]},`));
  assert.equal(alive(pids[0]!), false);
  await peers[1]!.send('still here\n');
  assert.equal((await peers[1]!.recv())?.toString(), 'still here\n');
  await terminate(child, pids);
});
