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

/** `sockcat -v -U -u -l PATH` in a fresh directory, once it is listening. */
async function startListener(t: { after(fn: () => unknown): void }) {
  const dir = await tempDir(t);
  const path = join(dir, 'listen.sock');
  const child = spawnCli(['-v', '-U', '-u', '-l', path]);
  t.after(() => stop(child));
  await waitForLine(child.stderr!, /Listening on /);
  return { dir, path, child };
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
  const { dir, path, child } = await startListener(t);
  const client = await openUnixDatagram({ path: join(dir, 'client.sock'), connect: path });
  t.after(() => client.close());
  await client.send('hello listener');
  await waitForLine(child.stdout!, /hello listener/);
  await waitForLine(child.stderr!, new RegExp(`Connection from ${join(dir, 'client.sock')}\\.`));
  child.stdin!.write('hello client');
  assert.equal((await client.receive()).data.toString(), 'hello client');
  const done = finished(child);
  child.kill('SIGTERM');
  assert.equal((await done).code, 143);
  assert.equal(existsSync(path), false);
});

test('-U -u: a stale socket file is replaced; -z and a missing peer fail clearly', {
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

  const zero = await runCli(['-U', '-u', '-z', join(dir, 'z.sock')]);
  assert.equal(zero.code, 2);
  const missing = await runCli(['-U', '-u', join(dir, 'nobody.sock')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /connect to .*nobody\.sock failed: No such file or directory/);
});

/** `sockcat -U -u -l -k PATH` with `extra` options, ready (its `Listening on` line seen). */
async function startKeepOpen(t: { after(fn: () => unknown): void }, dir: string, extra: string[]) {
  const path = join(dir, 'k.sock');
  const child = spawnCli(['-v', ...extra, '-U', '-u', '-l', '-k', path]);
  t.after(() => stop(child));
  // Collect the output from the start: finished() only sees what arrives after it is called,
  // and stdout's transcript must start now for later waits to see everything.
  const done = finished(child);
  void waitForLine(child.stdout!, /^/);
  await waitForLine(child.stderr!, /Listening on /);
  return { child, path, done };
}

/** A library client bound to a fresh abstract name, sending to `path`. */
async function abstractPeer(t: { after(fn: () => unknown): void }, path: string, name: string) {
  const socket = await openUnixDatagram({
    path: `@sockcat-test-${process.pid}-${name}`,
    connect: path,
  });
  t.after(() => socket.close());
  return socket;
}

test('-l -k: several peers, each answered; stdin goes to every live peer; unbound senders are shown', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const { child, path, done } = await startKeepOpen(t, dir, ['-v', '--json']);
  const a = await abstractPeer(t, path, 'a');
  const b = await abstractPeer(t, path, 'b');
  await a.send('from a\n');
  await waitForLine(child.stderr!, /Connection from @sockcat-test-\d+-a\./);
  await b.send('from b\n');
  await waitForLine(child.stderr!, /Connection from @sockcat-test-\d+-b\./);
  child.stdin!.write('to all\n');
  assert.equal((await a.receive()).data.toString(), 'to all\n');
  assert.equal((await b.receive()).data.toString(), 'to all\n');

  // An unbound sender has no name to answer: shown, but no session.
  const unbound = await openUnixDatagram({ connect: path });
  t.after(() => unbound.close());
  await unbound.send('from nobody\n');
  await waitForLine(
    child.stderr!,
    /datagram from an unbound Unix socket: shown, but it cannot be answered/,
  );
  await waitForLine(child.stdout!, /from nobody\n/);

  // A peer whose socket is gone refuses the next reply: its session ends, the others go on.
  b.close();
  child.stdin!.write('after b left\n');
  assert.equal((await a.receive()).data.toString(), 'after b left\n');
  await waitForLine(
    child.stderr!,
    /"event":"closed","id":2,"reason":"refused","sent":7,"received":7/,
  );
  await a.send('again a\n');
  await waitForLine(child.stdout!, /again a\n/);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143);
  assert.equal(result.stdout.toString(), 'from a\nfrom b\nfrom nobody\nagain a\n');
  assert.match(
    result.stderr,
    /"event":"accepted","transport":"unix-dgram","id":1,"local":\{"path":"[^"]*k\.sock"\},"remote":\{"path":"@sockcat-test-\d+-a"\}/,
  );
  assert.match(result.stderr, /"event":"closed","id":1,"reason":"aborted","sent":20,"received":15/);
  assert.doesNotMatch(result.stderr, /"id":3/);
  assert.equal(existsSync(path), false, 'the socket file is removed at exit');
});

test('-l -k -m 1: a second peer is refused while the first session lives', { skip }, async (t) => {
  const dir = await tempDir(t);
  const { child, path, done } = await startKeepOpen(t, dir, ['-m', '1', '--json']);
  const a = await abstractPeer(t, path, 'm-a');
  const b = await abstractPeer(t, path, 'm-b');
  await a.send('a1');
  await waitForLine(child.stderr!, /Connection from @sockcat-test-\d+-m-a\./);
  // Two datagrams: a conversation, which a newcomer cannot push out (a one-shot one could be).
  await a.send('a2');
  await waitForLine(child.stdout!, /a1a2/);
  await b.send('b1');
  await waitForLine(child.stderr!, /New connection denied: connection limit reached \(1\)["\n]/);
  await waitForLine(
    child.stderr!,
    /"event":"denied","transport":"unix-dgram","remote":\{"path":"@sockcat-test-\d+-m-b"\},"reason":"max-conns"/,
  );
  child.stdin!.write('only a');
  assert.equal((await a.receive()).data.toString(), 'only a');
  await a.send('a3');
  await waitForLine(child.stdout!, /a1a2a3/);
  child.kill('SIGTERM');
  assert.equal((await done).stdout.toString(), 'a1a2a3');
});

test('-l -k -m 2: one-shot sessions make room for a new peer, oldest first', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const { child, path, done } = await startKeepOpen(t, dir, ['-m', '2', '--json']);
  const talker = await abstractPeer(t, path, 'e-talker');
  const once1 = await abstractPeer(t, path, 'e-once1');
  const once2 = await abstractPeer(t, path, 'e-once2');
  await talker.send('t1');
  await talker.send('t2');
  await waitForLine(child.stdout!, /t1t2/);
  await once1.send('o1');
  await waitForLine(child.stdout!, /o1/);
  // The table is full (-m 2); once1 sent one datagram only, so once2 takes its place.
  await once2.send('o2');
  await waitForLine(child.stdout!, /o2/);
  await waitForLine(child.stderr!, /"event":"closed","id":2,"reason":"evicted"/);
  child.stdin!.write('to both');
  assert.equal((await talker.receive()).data.toString(), 'to both');
  assert.equal((await once2.receive()).data.toString(), 'to both');
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.stdout.toString(), 't1t2o1o2');
  assert.doesNotMatch(result.stderr, /"reason":"max-conns"/);
});

test('-l: a datagram from a sender that is gone is written out before the reply fails', {
  skip,
}, async (t) => {
  const { dir, path, child } = await startListener(t);
  const done = finished(child);
  // Stopped, sockcat cannot read before the sender is gone (as socat's UNIX-SENDTO,bind=...,
  // which exits at once and removes its path).
  child.kill('SIGSTOP');
  const senderPath = join(dir, 'sender.sock');
  const sender = await openUnixDatagram({ path: senderPath, connect: path });
  await sender.send('kept datagram');
  sender.close();
  assert.equal(existsSync(senderPath), false);
  child.kill('SIGCONT');
  const result = await done;
  assert.equal(result.stdout.toString(), 'kept datagram');
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `sockcat: cannot reply to ${senderPath.replace(/[.]/g, '\\.')}: .+ \\(the datagram it sent was written to stdout\\)\n$`,
    ),
  );
});

test('-l -k: a session expires after -i without datagrams; the peer may start a new one', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const { child, path } = await startKeepOpen(t, dir, ['-i', '300ms', '--json']);
  const a = await abstractPeer(t, path, 'idle');
  await a.send('first');
  await waitForLine(child.stderr!, /"event":"accepted","transport":"unix-dgram","id":1/);
  await waitForLine(
    child.stderr!,
    /"event":"closed","id":1,"reason":"idle-timeout","sent":0,"received":5/,
  );
  await a.send('second');
  await waitForLine(child.stderr!, /"event":"accepted","transport":"unix-dgram","id":2/);
  await waitForLine(child.stdout!, /firstsecond/);
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
  // nc connects back to the sender's socket before it prints the first datagram: keep the
  // sender (and its socket) alive until then; stdin's EOF then ends it.
  sender.stdin!.write('to nc\n');
  await waitForLine(ncListener.stdout, /to nc\n/);
  feedStdin(sender, '');
  assert.equal((await sent).code, 0);
});

test('interop: two nc.openbsd -U -u clients of sockcat -U -u -l -k', { skip }, async (t) => {
  const nc = requirePeer(t, 'nc.openbsd');
  if (!nc) return;
  const dir = await tempDir(t);
  const { child, path } = await startKeepOpen(t, dir, []);
  // nc.openbsd binds each client to a temporary file so that replies can come back.
  const one = spawn(nc, ['-U', '-u', path]);
  t.after(() => one.kill());
  one.stdin.write('from nc one\n');
  await waitForLine(child.stdout!, /from nc one\n/);
  const two = spawn(nc, ['-U', '-u', path]);
  t.after(() => two.kill());
  two.stdin.write('from nc two\n');
  await waitForLine(child.stdout!, /from nc two\n/);
  await waitForLine(child.stderr!, /Connection from [^\n]*\.\n[\s\S]*Connection from [^\n]*\./);
  child.stdin!.write('to both\n');
  await waitForLine(one.stdout, /to both\n/);
  await waitForLine(two.stdout, /to both\n/);
});

test('-U -u -s PATH: the client binds PATH, the peer answers there, and the file goes at the end', {
  skip,
}, async (t) => {
  const dir = await tempDir(t);
  const server = await openUnixDatagram({ path: join(dir, 'server.sock') });
  t.after(() => server.close());
  const source = join(dir, 'client.sock');
  const sender = spawnCli(['-U', '-u', '-s', source, join(dir, 'server.sock')]);
  t.after(() => stop(sender));
  sender.stdin!.write('from a named client');
  const message = await server.receive();
  assert.equal(message.data.toString(), 'from a named client');
  assert.deepEqual(message.from, { path: source });
  await server.send('the reply', { path: source });
  await waitForLine(sender.stdout!, /the reply/);
  const done = finished(sender);
  sender.stdin!.end();
  assert.equal((await done).code, 0);
  assert.equal(existsSync(source), false, 'the source socket file is removed');
  const refused = await runCli(['-U', '-u', '-l', '-s', source, join(dir, 'other.sock')]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /-s cannot be used with -U -u -l/);
});
