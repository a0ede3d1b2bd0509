// Every terminating signal runs the cleanup SIGINT runs (socket file, children, -o) and exits
// 128+N; Node's own warnings never reach stderr, and the shared run signal gathers no warning.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { alive, finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-signals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
}

const STATUS = { SIGHUP: 129, SIGQUIT: 131, SIGTERM: 143, SIGINT: 130, SIGUSR2: 140 } as const;

for (const [signal, status] of Object.entries(STATUS) as Array<[NodeJS.Signals, number]>) {
  test(`${signal}: -l -U removes its socket file, flushes -o, exits ${status}`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 's.sock');
    const log = join(dir, 'out.log');
    const child = spawnCli(['-lv', '-o', log, '-U', path]);
    t.after(() => stop(child));
    await waitForLine(child.stderr!, /Listening on /);
    const socket = netConnect({ path });
    t.after(() => socket.destroy());
    await connected(socket);
    socket.write('recorded\n');
    await waitForLine(child.stdout!, /recorded\n/);
    const done = finished(child);
    child.kill(signal);
    const result = await done;
    assert.equal(result.code, status);
    assert.equal(result.stderr.replace(/^sockcat: (Version|Listening|Connection).*\n/gm, ''), '');
    assert.equal(existsSync(path), false, 'the socket file is removed');
    assert.equal(readFileSync(log, 'utf8'), 'recorded\n');
  });
}

test('SIGHUP: -l -k -c ends every child process group and reaps it before exiting 129', async (t) => {
  const socat = requirePeer(t, 'socat');
  if (!socat) return;
  // Each child is a shell that starts a grandchild in its process group; the grandchild holds a
  // connection to this test, whose end tells that the grandchild is gone.
  const grandchildren = createServer();
  const held: Socket[] = [];
  grandchildren.on('connection', (socket) => held.push(socket));
  const path = join(tempDir(t), 'grandchildren.sock');
  await new Promise<void>((resolve) => grandchildren.listen(path, resolve));
  t.after(() => grandchildren.close());
  const command = `echo up; ${socat} -u UNIX-CONNECT:${path} -`;
  const child = spawnCli(['-l', '-k', '--json', '-c', command, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number(
    (await waitForLine(child.stderr!, /"event":"listening"[^\n]*"port":(\d+)/))[1],
  );
  const clients: Socket[] = [];
  t.after(() => {
    for (const socket of clients) socket.destroy();
    for (const socket of held) socket.destroy();
  });
  for (let i = 0; i < 3; i++) {
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    clients.push(socket);
  }
  const execs = /(?:"event":"exec"[^\n]*"pid":\d+[^\n]*\n[\s\S]*){3}/;
  const text = (await waitForLine(child.stderr!, execs))[0];
  const pids = [...text.matchAll(/"event":"exec"[^\n]*"pid":(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(new Set(pids).size, 3);
  while (held.length < 3) await once(grandchildren, 'connection');
  const gone = held.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
  const done = finished(child);
  child.kill('SIGHUP');
  assert.equal((await done).code, 129);
  for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} was reaped`);
  // Every grandchild got the signal too: its connection closes (nothing else would close it).
  await Promise.all(gone);
});

test('-l -k -c with 12 clients at once: no Node warning (the shared signal gathers none)', async (t) => {
  // NODE_DEBUG=sockcat prints Node's warnings as sockcat lines; none may appear.
  const env = { ...process.env, NODE_DEBUG: 'sockcat' };
  const child = spawnCli(['-lvk', '-c', 'cat', '127.0.0.1', '0'], { env });
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const clients: Socket[] = [];
  t.after(() => {
    for (const socket of clients) socket.destroy();
  });
  for (let i = 0; i < 12; i++) clients.push(netConnect(port, '127.0.0.1'));
  await Promise.all(clients.map(connected));
  // Each child echoes: all twelve run at once.
  await Promise.all(
    clients.map(
      (socket, index) =>
        new Promise<void>((resolve) => {
          let seen = '';
          socket.on('data', (chunk) => {
            seen += chunk.toString();
            if (seen.includes(`c${index}\n`)) resolve();
          });
          socket.write(`c${index}\n`);
        }),
    ),
  );
  const done = finished(child);
  child.kill('SIGINT');
  const result = await done;
  assert.equal(result.code, 130);
  assert.doesNotMatch(result.stderr, /warning|MaxListeners/i);
  for (const line of result.stderr.split('\n').filter(Boolean)) assert.match(line, /^sockcat: /);
});

test('-z over 30 ports at the default concurrency: only sockcat lines on stderr', async (t) => {
  const env = { ...process.env, NODE_DEBUG: 'sockcat' };
  const child = spawnCli(['-vz', '127.0.0.1', '1-30'], { env });
  t.after(() => stop(child));
  const result = await finished(child);
  assert.doesNotMatch(result.stderr, /warning|MaxListeners/i);
  for (const line of result.stderr.split('\n').filter(Boolean)) assert.match(line, /^sockcat: /);
});
