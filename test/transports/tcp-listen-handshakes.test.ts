// A TLS listener under a flood of connections that never start a handshake: the flood is bounded
// (per source, in total, by a first-byte deadline) and a client that speaks is still served.
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { type Listener, listen } from '../../src/transports/tcp-listen.js';
import { connectedOrClosed } from '../helpers/child.js';

/** Open `count` connections from `source` that never send a byte. */
async function silent(t: TestContext, listener: Listener, source: string, count: number) {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = netConnect({
      host: '127.0.0.1',
      port: listener.address().port,
      localAddress: source,
    });
    socket.on('error', () => {});
    sockets.push(socket);
  }
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  // Connected, or reset already by the listener (beyond a cap): either way the listener saw it.
  await Promise.all(sockets.map(connectedOrClosed));
  return sockets;
}

/** Resolves when every socket is closed (a reset included: events.once would reject on it). */
function closed(sockets: Socket[]): Promise<unknown> {
  return Promise.all(
    sockets.map((socket) =>
      socket.closed ? undefined : new Promise((resolve) => socket.once('close', resolve)),
    ),
  );
}

async function legitimate(listener: Listener): Promise<string> {
  const accepted = listener.accept();
  const client = await connect(
    { host: '127.0.0.1', port: listener.address().port },
    { tls: { insecure: true } },
  );
  const server = await accepted;
  await client.sendLine('hello');
  const line = (await server.recvLine()).toString();
  client.destroy();
  server.destroy();
  return line;
}

test('silent connections beyond the per-source cap are reset; other sources still get through', async (t) => {
  const listener = await listen('127.0.0.1:0', {
    tls: true,
    handshakes: { maxHandshakes: 100, maxPerSource: 4, firstByteTimeout: 60_000 },
  });
  t.after(() => listener.close());
  const flood = await silent(t, listener, '127.0.0.2', 10);
  assert.equal(await legitimate(listener), 'hello\n');
  // Connections are taken in order, so by now the server has seen all ten: six were reset.
  await closed(flood.slice(4));
  assert.equal(listener.handshaking, 4, 'the first four wait for their first byte');
  assert.equal(flood.slice(0, 4).filter((socket) => socket.closed).length, 0);
});

test('a full gate drops its oldest silent connection, so a client that speaks is served', async (t) => {
  const listener = await listen('127.0.0.1:0', {
    tls: true,
    handshakes: { maxHandshakes: 8, maxPerSource: 4, firstByteTimeout: 60_000 },
  });
  t.after(() => listener.close());
  const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
  const flood: Socket[] = [];
  for (const source of sources) flood.push(...(await silent(t, listener, source, 4)));
  assert.equal(await legitimate(listener), 'hello\n');
  // 16 silent for 8 places, then the client: the nine oldest made room, in order.
  await closed(flood.slice(0, 9));
  assert.equal(listener.handshaking, 7);
  assert.equal(flood.slice(9).filter((socket) => socket.closed).length, 0);
});

test('a connection that sends nothing within the first-byte deadline is dropped', async (t) => {
  // The legitimate client after it must beat the same deadline: 1 s, not 100 ms, which a busy
  // machine can spend between this process accepting it and reading its ClientHello.
  const listener = await listen('127.0.0.1:0', {
    tls: true,
    handshakes: { firstByteTimeout: 1000 },
  });
  t.after(() => listener.close());
  const [socket] = await silent(t, listener, '127.0.0.1', 1);
  assert.ok(socket);
  await closed([socket]);
  assert.equal(listener.handshaking, 0);
  assert.equal(await legitimate(listener), 'hello\n');
});

test('end of file before the first byte frees the place at once', async (t) => {
  const listener = await listen('127.0.0.1:0', { tls: true, handshakes: { maxPerSource: 1 } });
  t.after(() => listener.close());
  const [socket] = await silent(t, listener, '127.0.0.1', 1);
  assert.ok(socket);
  socket.end();
  await closed([socket]);
  assert.equal(await legitimate(listener), 'hello\n', 'the per-source place was given back');
});
