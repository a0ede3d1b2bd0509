// Unix datagram sockets through the native addon: boundaries, addresses, errors, fd hygiene.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  AbortError,
  ClosedError,
  ConnectionRefusedError,
  ListenError,
  TimeoutError,
} from '../../src/errors.js';
import { loadNative } from '../../src/native/load.js';
import { openUnixDatagram } from '../../src/transports/unix-datagram.js';
import { descriptorsOpenedSince, openDescriptors } from '../helpers/fds.js';

const skip = loadNative() ? false : 'the native addon is not built';
const unique = () => `@sockcat-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-dgram-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('messages keep their boundaries and order; the sender is reported', { skip }, async (t) => {
  const dir = await tempDir(t);
  const server = await openUnixDatagram({ path: join(dir, 'server.sock') });
  const client = await openUnixDatagram({ path: join(dir, 'client.sock') });
  t.after(() => {
    server.close();
    client.close();
  });
  await client.send('one', { path: join(dir, 'server.sock') });
  await client.send(Buffer.alloc(0), { path: join(dir, 'server.sock') });
  await client.send('three', { path: join(dir, 'server.sock') });
  const received = [await server.receive(), await server.receive(), await server.receive()];
  assert.deepEqual(
    received.map((m) => m.data.toString()),
    ['one', '', 'three'],
  );
  assert.deepEqual(received[0]!.from, { path: join(dir, 'client.sock') });
  assert.deepEqual(server.local, { path: join(dir, 'server.sock') });
  // The reply goes back to the address the message came from.
  await server.send('reply', received[0]!.from);
  assert.equal((await client.receive()).data.toString(), 'reply');
});

test('abstract names, connected sockets, unbound senders', { skip }, async (t) => {
  const name = unique();
  const server = await openUnixDatagram({ path: name });
  const connected = await openUnixDatagram({ connect: name });
  t.after(() => {
    server.close();
    connected.close();
  });
  assert.deepEqual(connected.remote, { path: name });
  await connected.send('from an unbound socket');
  const message = await server.receive();
  assert.equal(message.data.toString(), 'from an unbound socket');
  // An unbound socket has no name to reply to: no sender address.
  assert.equal(message.from, undefined);
});

test('a message longer than maxMessageSize arrives truncated, and says so', { skip }, async (t) => {
  const name = unique();
  const server = await openUnixDatagram({ path: name, maxMessageSize: 4 });
  const client = await openUnixDatagram({ connect: name });
  t.after(() => {
    server.close();
    client.close();
  });
  await client.send('abcdefgh');
  const message = await server.receive();
  assert.equal(message.data.toString(), 'abcd');
  assert.equal(message.truncated, true);
});

test('a connected socket reads in batches: order, sender and truncation kept', {
  skip,
}, async (t) => {
  const [a, b] = [unique(), unique()];
  const left = await openUnixDatagram({ path: a });
  const right = await openUnixDatagram({ path: b, connect: a, maxMessageSize: 4 });
  left.connect({ path: b });
  t.after(() => {
    left.close();
    right.close();
  });
  // Queued before anyone reads, so that one receive takes them all from the kernel at once.
  for (const text of ['one', 'two!', 'three', '', 'four']) await left.send(text);
  const got = [];
  for (let index = 0; index < 5; index++) got.push(await right.receive());
  assert.deepEqual(
    got.map((m) => [m.data.toString(), m.truncated]),
    [
      ['one', false],
      ['two!', false],
      ['thre', true],
      ['', false],
      ['four', false],
    ],
  );
  assert.deepEqual(got[0]!.from, { path: a });
});

test("connect() after a batch was read keeps only the peer's messages", { skip }, async (t) => {
  const [server, a, b] = [unique(), unique(), unique()];
  const socket = await openUnixDatagram({ path: server });
  const first = await openUnixDatagram({ path: a, connect: server });
  const other = await openUnixDatagram({ path: b, connect: server });
  t.after(() => {
    for (const s of [socket, first, other]) s.close();
  });
  await first.send('first');
  await other.send('from someone else');
  await first.send('second');
  const opening = await socket.receive();
  assert.deepEqual([opening.data.toString(), opening.from], ['first', { path: a }]);
  socket.connect({ path: a });
  assert.equal((await socket.receive()).data.toString(), 'second');
});

test('errors: refused peer, address in use, timeout, abort, closed', { skip }, async (t) => {
  const name = unique();
  await assert.rejects(openUnixDatagram({ connect: name }), ConnectionRefusedError);
  const server = await openUnixDatagram({ path: name });
  t.after(() => server.close());
  await assert.rejects(openUnixDatagram({ path: name }), (error: Error) => {
    assert.ok(error instanceof ListenError);
    assert.match(error.message, /Address already in use/);
    return true;
  });
  const client = await openUnixDatagram({ connect: name });
  await assert.rejects(server.receive({ timeout: 20 }), TimeoutError);
  const controller = new AbortController();
  const pending = server.receive({ signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, AbortError);
  // Nothing was consumed by the cancelled receives.
  await client.send('still here');
  assert.equal((await server.receive()).data.toString(), 'still here');
  const waiting = server.receive();
  server.close();
  await assert.rejects(waiting, ClosedError);
  // The peer is gone: sending to it is refused.
  await assert.rejects(client.send('anyone?'), ConnectionRefusedError);
  client.close();
  await assert.rejects(client.send('x'), ClosedError);
});

test('a send waiting for a full peer can be withdrawn; later sends then go', {
  skip,
}, async (t) => {
  const full = await openUnixDatagram({ path: unique() });
  const other = await openUnixDatagram({ path: unique() });
  const sender = await openUnixDatagram({ path: unique() });
  t.after(() => {
    for (const socket of [full, other, sender]) socket.close();
  });
  const to = full.local!;
  // Fill the peer's queue (nobody reads it) until a send has to wait.
  const controller = new AbortController();
  let waiting: Promise<void> | undefined;
  for (let i = 0; i < 100_000 && !waiting; i++) {
    const sent = sender.send('x', to, { signal: controller.signal });
    // A send the kernel took settles before the event loop's next turn.
    const state = await Promise.race([
      sent.then(() => 'sent'),
      new Promise((resolve) => setImmediate(resolve, 'pending')),
    ]);
    if (state === 'pending') waiting = sent;
  }
  assert.ok(waiting, 'the peer queue never filled');
  const later = sender.send('to the other', other.local!);
  controller.abort();
  await assert.rejects(waiting, AbortError);
  await later;
  assert.equal((await other.receive()).data.toString(), 'to the other');
});

test('a socket bound to a file removes it on close', { skip }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'bound.sock');
  const socket = await openUnixDatagram({ path });
  assert.equal(existsSync(path), true);
  socket.close();
  socket.close();
  assert.equal(existsSync(path), false);
});

test('10,000 sockets opened and closed leave no file descriptor behind', { skip }, async () => {
  const before = openDescriptors();
  for (let round = 0; round < 100; round++) {
    const sockets = await Promise.all(
      Array.from({ length: 100 }, () => openUnixDatagram({ path: unique() })),
    );
    // Half of them have a receive pending (a started poller) when closed.
    const pending = sockets.slice(0, 50).map((s) => s.receive().catch((error: Error) => error));
    for (const socket of sockets) socket.close();
    for (const outcome of await Promise.all(pending)) assert.ok(outcome instanceof ClosedError);
  }
  assert.deepEqual(descriptorsOpenedSince(before), []);
});
