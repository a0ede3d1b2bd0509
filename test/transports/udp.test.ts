import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AbortError,
  ArgumentError,
  ConnectionRefusedError,
  ResolveError,
  TimeoutError,
} from '../../src/errors.js';
import { connectUdp, listenUdp, MAX_UDP_PAYLOAD } from '../../src/transports/udp.js';
import { closedUdpPort, freeUdpPort, udpPeer } from '../helpers/udp-peer.js';

test('connectUdp: one send is one datagram, each datagram is received whole', async (t) => {
  const peer = await udpPeer(t);
  const connection = await connectUdp(`127.0.0.1:${peer.port}`);
  t.after(() => connection.close());
  assert.deepEqual(connection.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
  assert.equal(connection.local.address, '127.0.0.1');
  await connection.send('ab');
  await connection.send('cd');
  const first = await peer.next();
  assert.equal(first.data.toString(), 'ab');
  assert.equal((await peer.next()).data.toString(), 'cd');
  await peer.send('xy', first.from.port);
  await peer.send('', first.from.port);
  await peer.send('z', first.from.port);
  assert.equal((await connection.recv())?.toString(), 'xy');
  assert.equal((await connection.recv())?.length, 0, 'an empty datagram is a datagram');
  assert.equal((await connection.recv())?.toString(), 'z');
  assert.equal(connection.bytesSent, 4);
  assert.equal(connection.bytesReceived, 3);
});

test('connectUdp: an ICMP port unreachable is a ConnectionRefusedError on receive and send', async () => {
  const port = await closedUdpPort();
  const connection = await connectUdp({ host: '127.0.0.1', port });
  await connection.send('x');
  await assert.rejects(connection.recv(), (error: unknown) => {
    assert.ok(error instanceof ConnectionRefusedError);
    assert.equal(error.code, 'SOCKCAT_REFUSED');
    assert.equal(error.network, 'udp');
    assert.equal(error.port, port);
    assert.equal(
      error.message,
      `udp 127.0.0.1:${port} refused the datagrams: Connection refused (ICMP port unreachable)`,
    );
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    return true;
  });
  await assert.rejects(connection.send('y'), ConnectionRefusedError);
  await connection.close();
  await connection.close();
});

test('connectUdp: recv timeout and abort consume nothing; close ends iteration', async (t) => {
  const peer = await udpPeer(t);
  const connection = await connectUdp(`127.0.0.1:${peer.port}`);
  await assert.rejects(connection.recv({ timeout: 1 }), TimeoutError);
  const controller = new AbortController();
  const pending = connection.recv({ signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, AbortError);
  await connection.send('hi');
  const { from } = await peer.next();
  await peer.send('kept', from.port);
  const received: string[] = [];
  for await (const datagram of connection) {
    received.push(datagram.toString());
    void connection.close();
  }
  assert.deepEqual(received, ['kept']);
});

test('connectUdp: family forcing, source port, size limit, port 0', async (t) => {
  const peer = await udpPeer(t, '::1');
  await assert.rejects(connectUdp(`[::1]:${peer.port}`, { family: 4 }), ResolveError);
  await assert.rejects(connectUdp('127.0.0.1:0'), ArgumentError);
  const source = await freeUdpPort('::1');
  const connection = await connectUdp(`[::1]:${peer.port}`, {
    localAddress: '::1',
    localPort: source,
  });
  t.after(() => connection.close());
  assert.deepEqual(connection.local, { address: '::1', port: source, family: 6 });
  assert.equal(connection.maxDatagram, MAX_UDP_PAYLOAD[6]);
  await assert.rejects(connection.send(Buffer.alloc(MAX_UDP_PAYLOAD[6] + 1)), ArgumentError);
  await connection.send('v6');
  const received = await peer.next();
  assert.equal(received.from.port, source);
});

test('listenUdp: accept() takes the first allowed sender, its datagram included', async (t) => {
  const listener = await listenUdp({ host: '127.0.0.1', port: 0 });
  const { port } = listener.address();
  const denied = await udpPeer(t);
  const allowed = await udpPeer(t);
  const accepting = listener.accept({ allow: (remote) => remote.port === allowed.port });
  await denied.send('no', port);
  await allowed.send('yes', port);
  await allowed.send('right after', port);
  const connection = await accepting;
  t.after(() => connection.close());
  await listener.close();
  assert.equal(connection.remote.port, allowed.port);
  assert.equal((await connection.recv())?.toString(), 'yes');
  assert.equal(
    (await connection.recv())?.toString(),
    'right after',
    'nothing lost while connecting',
  );
  await connection.send('answer');
  assert.equal((await allowed.next()).data.toString(), 'answer');
});

test('listenUdp: an aborted accept() rejects with AbortError; close() is then a no-op', async () => {
  const listener = await listenUdp('127.0.0.1:0');
  const controller = new AbortController();
  const accepting = listener.accept({ signal: controller.signal });
  controller.abort();
  await assert.rejects(accepting, AbortError);
  await listener.close();
});
