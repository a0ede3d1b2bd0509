// -U -u: Unix datagram sockets in the CLI, both modes, against the library and real peers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { openUnixDatagram } from '../../src/transports/unix-datagram.js';
import { feedStdin, finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

const skip = loadNative() ? false : 'the native addon is not built';

/** Resolves once `path` exists, watching its directory (no polling). */
function fileAppears(dir: string, path: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      if (existsSync(path)) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(path)) {
      watcher.close();
      resolve();
    }
  });
}

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-cli-unixdg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('connect mode: each stdin read is one datagram; replies reach stdout', { skip }, async (t) => {
  const dir = await tempDir(t);
  const server = await openUnixDatagram({ path: join(dir, 'server.sock') });
  t.after(() => server.close());
  const sender = spawnCli(['-U', '-u', join(dir, 'server.sock')]);
  t.after(() => stop(sender));
  sender.stdin!.write('first datagram');
  const message = await server.receive();
  assert.equal(message.data.toString(), 'first datagram');
  // The client is autobound to an abstract name, so the reply has somewhere to go.
  assert.ok(message.from && 'path' in message.from && message.from.path.startsWith('@'));
  await server.send('the reply', message.from);
  await waitForLine(sender.stdout!, /the reply/);
  const done = finished(sender);
  sender.stdin!.end();
  assert.equal((await done).code, 0);
});

test('listen mode: the first sender is the peer; the socket file is removed at the end', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'listen.sock');
  const child = spawnCli(['-v', '-U', '-u', '-l', path]);
  t.after(() => stop(child));
  await waitForLine(child.stderr!, /Listening on /);
  const client = await openUnixDatagram({ path: join(dir, 'client.sock'), connect: path });
  t.after(() => client.close());
  await client.send('hello listener');
  await waitForLine(child.stdout!, /hello listener/);
  await waitForLine(child.stderr!, new RegExp(`Connection from ${join(dir, 'client.sock')}\\.`));
  child.stdin!.write('hello client');
  assert.equal((await client.receive()).data.toString(), 'hello client');
  const done = finished(child);
  child.kill('SIGTERM');
  assert.equal((await done).code, 130);
  assert.equal(existsSync(path), false);
});

test('-U -u: a stale socket file is replaced; -k, -z and a missing peer fail clearly', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const stale = join(dir, 'stale.sock');
  (await openUnixDatagram({ path: stale })).close();
  // close() removed it: leave a real stale file behind, as a killed process would.
  const left = await openUnixDatagram({ path: stale });
  // Simulate a crash: the fd is closed without unlinking.
  const { loadNative: load } = await import('../../src/native/load.js');
  load()!.close(left.fd);
  const child = spawnCli(['-vv', '-U', '-u', '-l', stale]);
  t.after(() => stop(child));
  await waitForLine(child.stderr!, /removed stale socket .* \(nobody was receiving on it\)/);
  await waitForLine(child.stderr!, /Listening on /);

  const keep = await runCli(['-U', '-u', '-l', '-k', join(dir, 'k.sock')]);
  assert.equal(keep.code, 2);
  assert.match(keep.stderr, /-k with -U -u \(many Unix datagram peers\) is not implemented yet/);
  const zero = await runCli(['-U', '-u', '-z', join(dir, 'z.sock')]);
  assert.equal(zero.code, 2);
  const missing = await runCli(['-U', '-u', join(dir, 'nobody.sock')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /connect to .*nobody\.sock failed: No such file or directory/);
});

test('interop: nc.openbsd -U -u as the client of sockcat -U -u -l, and the other way round', {
  skip,
}, async (t) => {
  const nc = requirePeer(t, 'nc.openbsd');
  if (!nc) return;
  const dir = await tempDir(t);
  const path = join(dir, 'sc.sock');
  const listener = spawnCli(['-v', '-U', '-u', '-l', path]);
  t.after(() => stop(listener));
  await waitForLine(listener.stderr!, /Listening on /);
  const client = spawn(nc, ['-U', '-u', path]);
  t.after(() => client.kill());
  client.stdin.write('from nc\n');
  await waitForLine(listener.stdout!, /from nc\n/);
  listener.stdin!.write('from sockcat\n');
  await waitForLine(client.stdout, /from sockcat\n/);

  const ncPath = join(dir, 'nc.sock');
  const ncListener = spawn(nc, ['-U', '-u', '-l', ncPath]);
  t.after(() => ncListener.kill());
  // nc.openbsd prints nothing when it is ready: wait for its socket file to appear.
  await fileAppears(dir, ncPath);
  const sender = spawnCli(['-U', '-u', ncPath]);
  const sent = finished(sender);
  feedStdin(sender, 'to nc\n');
  await waitForLine(ncListener.stdout, /to nc\n/);
  assert.equal((await sent).code, 0);
});
