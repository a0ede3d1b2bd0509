// -U: Unix stream sockets in connect mode, -l and -l -k; the socket file's life cycle.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { feedStdin, finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';

/** A fresh private directory for this test's sockets, removed at the end. */
function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A socket file with nobody listening on it, as a killed listener leaves behind: a child process
 * listens and exits without closing (closing would remove the file).
 */
function staleSocket(path: string): void {
  execFileSync(process.execPath, [
    '-e',
    "require('node:net').createServer().listen(process.argv[1], () => process.exit())",
    path,
  ]);
}

test('-U connect mode: stdin to the socket, the socket to stdout', async (t) => {
  const path = join(tempDir(t), 's');
  const listener = await listen({ path });
  t.after(() => listener.close());
  const child = spawnCli(['-v', '-U', path]);
  t.after(() => stop(child));
  const done = finished(child);
  const tube = await listener.accept();
  feedStdin(child, 'from sockcat\n');
  assert.equal((await tube.recvAll()).toString(), 'from sockcat\n');
  await tube.send('from peer\n');
  await tube.close();
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'from peer\n');
  assert.match(result.stderr, new RegExp(`Connected to ${path}\\.`));
});

test('-U -l: "Listening on PATH", one client, the file removed once listening stops', async (t) => {
  const path = join(tempDir(t), 'listen.sock');
  const child = spawnCli(['-v', '-l', '-U', path, '--json']);
  t.after(() => stop(child));
  const done = finished(child);
  await waitForLine(child.stderr!, new RegExp(`Listening on ${path}\n`));
  assert.ok(lstatSync(path).isSocket());
  const tube = await connect({ path });
  await waitForLine(child.stderr!, /Connection from a client on Unix domain socket\./);
  feedStdin(child, 'to client\n');
  assert.equal((await tube.recvAll()).toString(), 'to client\n');
  await tube.send('to server\n');
  await tube.close();
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'to server\n');
  assert.equal(existsSync(path), false, 'socket file removed');
  const events = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  assert.deepEqual(events[0].local, { path });
  assert.equal(events[0].event, 'listening');
  assert.equal(events[0].transport, 'unix');
  assert.equal(events[1].event, 'accepted');
  assert.deepEqual(events[1].local, { path });
});

test('-U -l -k: many clients; the file is removed when interrupted', async (t) => {
  const path = join(tempDir(t), 'k.sock');
  const child = spawnCli(['-v', '-lk', '-U', path]);
  t.after(() => stop(child));
  await waitForLine(child.stderr!, /Listening on /);
  const a = await connect({ path });
  const b = await connect({ path });
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitForLine(child.stderr!, /Connection from[^\n]*\n[^\n]*Connection from/);
  child.stdin!.write('to all\n');
  assert.equal((await a.recvLine()).toString(), 'to all\n');
  assert.equal((await b.recvLine()).toString(), 'to all\n');
  await a.sendLine('from a');
  await waitForLine(child.stdout!, /from a\n/);
  await b.sendLine('from b');
  await waitForLine(child.stdout!, /from b\n/);
  const done = finished(child);
  child.kill('SIGINT');
  assert.equal((await done).code, 130);
  assert.equal(existsSync(path), false, 'socket file removed at exit');
});

test('-U with a Linux abstract name (@name): no file at all', async (t) => {
  const name = `@sockcat-test-${process.pid}-${Date.now()}`;
  const child = spawnCli(['-v', '-l', '-U', name]);
  t.after(() => stop(child));
  const done = finished(child);
  await waitForLine(child.stderr!, new RegExp(`Listening on ${name}\n`));
  const client = await runCli(['-U', name], 'abstract hello\n');
  assert.equal(client.code, 0);
  feedStdin(child, '');
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'abstract hello\n');
});

test('-U -l replaces a stale socket file nobody listens on', async (t) => {
  const path = join(tempDir(t), 'stale.sock');
  staleSocket(path);
  assert.ok(lstatSync(path).isSocket());
  const child = spawnCli(['-vv', '-l', '-U', path]);
  t.after(() => stop(child));
  const done = finished(child);
  await waitForLine(child.stderr!, /Listening on /);
  assert.match(
    await waitForLine(child.stderr!, /removed stale socket .*/).then((m) => m[0]),
    /nobody was listening on it/,
  );
  const tube = await connect({ path });
  await tube.send('fresh\n');
  await tube.close();
  feedStdin(child, '');
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'fresh\n');
});

test('-U -l refuses a path that is not a socket, and one somebody listens on', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'keep me');
  const refused = await runCli(['-l', '-U', file]);
  assert.equal(refused.code, 2);
  assert.equal(
    refused.stderr,
    `sockcat: listen on ${file} failed: ${JSON.stringify(file)} exists and is not a socket (sockcat will not replace it)\n`,
  );
  assert.equal(readFileSync(file, 'utf8'), 'keep me');

  const busy = join(dir, 'busy.sock');
  const listener = await listen({ path: busy });
  t.after(() => listener.close());
  const inUse = await runCli(['-l', '-U', busy]);
  assert.equal(inUse.code, 2);
  assert.equal(
    inUse.stderr,
    `sockcat: listen on ${busy} failed: Address already in use (another program is listening on it)\n`,
  );
  assert.ok(lstatSync(busy).isSocket(), 'the live socket is left alone');
});

test('-U: bad combinations fail with exit status 2 before any I/O', async () => {
  const cases: Array<[string[], string]> = [
    [
      ['-U', '-u', '-z', '/tmp/x'],
      '-z cannot be used with -U -u: a Unix datagram socket has no port to probe',
    ],
    [
      ['-U', '/tmp/x', '80'],
      'too many arguments: 80 (with -U the only argument is the socket path)',
    ],
    [['-l', '-U', '-p', '80', '/tmp/x'], '-p 80: a Unix socket (-U) has no port'],
    [['-U'], 'you must specify the path of a socket to connect to (-U)'],
    [['-l', '-U'], 'you must specify the path of a socket to listen on (-U)'],
    [['-U', '-4', '/tmp/x'], '-4 cannot be used with -U: a Unix socket has no IP address'],
    [
      ['-U', '-s', '127.0.0.1', '/tmp/x'],
      '-s cannot be used with -U: only a Unix datagram client (-U -u) binds a source path',
    ],
    [
      ['-l', '-U', '--allow', '127.0.0.1', '/tmp/x'],
      '--allow and --deny filter IP addresses; Unix socket clients have none (use the permissions of the socket directory instead)',
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.equal(result.stderr, `sockcat: ${message}\n`, args.join(' '));
  }
});

test('-U connect to a missing socket: exit 1 with the system error', async (t) => {
  const path = join(tempDir(t), 'missing');
  const result = await runCli(['-U', path]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `sockcat: connect to ${path} failed: No such file or directory\n`);
});

test('-z -U: exit 0 when somebody listens on the socket, 1 when not', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'z.sock');
  const listener = await listen({ path });
  t.after(() => listener.close());
  const open = await runCli(['-z', '-U', path]);
  assert.equal(open.code, 0, open.stderr);
  assert.equal(open.stderr, '');
  const closed = await runCli(['-z', '-U', join(dir, 'nobody')]);
  assert.equal(closed.code, 1);
});
