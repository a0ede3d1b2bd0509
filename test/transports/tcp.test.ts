import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import type { LookupFunction } from '../../src/address/resolve.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { freePort, refusedPort } from '../helpers/ports.js';

test('listen on port 0 reports the real port; connect and accept exchange bytes both ways', async (t) => {
  const listener = await listen({ host: '127.0.0.1', port: 0 });
  t.after(() => listener.close());
  const { address, port } = listener.address();
  assert.equal(address, '127.0.0.1');
  assert.ok(port > 0);
  const [client, server] = await Promise.all([connect(`127.0.0.1:${port}`), listener.accept()]);
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  assert.equal(client.remote?.port, port);
  assert.equal(server.remote?.port, client.local?.port);
  await client.sendLine('ping');
  assert.equal((await server.recvLine({ drop: true })).toString(), 'ping');
  await server.sendLine('pong');
  assert.equal((await client.recvLine({ drop: true })).toString(), 'pong');
});

test('listening without a host accepts IPv4 and IPv6 clients', async (t) => {
  const listener = await listen(0);
  t.after(() => listener.close());
  const { port } = listener.address();
  for (const host of ['127.0.0.1', '[::1]']) {
    const [client, server] = await Promise.all([connect(`${host}:${port}`), listener.accept()]);
    assert.equal(server.remote?.address, host.replace(/[[\]]/g, ''));
    client.destroy();
    server.destroy();
  }
});

test('half-close: the peer sees EOF and can still answer', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const [client, server] = await Promise.all([
    connect({ host: '127.0.0.1', port: listener.address().port }),
    listener.accept(),
  ]);
  await client.send('request');
  await client.shutdown('send');
  assert.equal((await server.recvAll()).toString(), 'request');
  await server.send('response');
  await server.close();
  assert.equal((await client.recvAll()).toString(), 'response');
  await client.close();
});

test('async iteration over a listener yields connections until it is closed', async () => {
  const listener = await listen('127.0.0.1:0');
  const { port } = listener.address();
  const clients = await Promise.all([connect(`127.0.0.1:${port}`), connect(`127.0.0.1:${port}`)]);
  let count = 0;
  for await (const tube of listener) {
    tube.destroy();
    if (++count === 2) await listener.close();
  }
  assert.equal(count, 2);
  for (const client of clients) client.destroy();
  await assert.rejects(listener.accept(), { code: 'SOCKCAT_CLOSED' });
});

test('accept with a timeout loses no connection', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  await assert.rejects(listener.accept({ timeout: 5 }), { code: 'SOCKCAT_TIMEOUT' });
  const client = await connect(`127.0.0.1:${listener.address().port}`);
  const server = await listener.accept();
  client.destroy();
  server.destroy();
});

test('a refused connection is a ConnectionRefusedError that keeps the system error', async () => {
  const port = await refusedPort();
  await assert.rejects(connect(`127.0.0.1:${port}`), (error: Error & Record<string, unknown>) => {
    assert.equal(error.name, 'ConnectionRefusedError');
    assert.equal(error.code, 'SOCKCAT_REFUSED');
    assert.equal(error.message, `connect to 127.0.0.1:${port} failed: Connection refused`);
    assert.equal(error['op'], 'connect');
    assert.equal(error['address'], '127.0.0.1');
    assert.equal(error['port'], port);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal((error.cause as NodeJS.ErrnoException).syscall, 'connect');
    return true;
  });
});

test('every resolved address is tried: a refusing first address falls back to the next', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const { port } = listener.address();
  // ::1 refuses (nothing listens there on this port), 127.0.0.1 accepts.
  const lookup: LookupFunction = async () => [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];
  const [client, server] = await Promise.all([
    connect(`both.test:${port}`, { lookup }),
    listener.accept(),
  ]);
  assert.equal(client.remote?.address, '127.0.0.1');
  client.destroy();
  server.destroy();
});

test('family forcing filters resolved addresses', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const lookup: LookupFunction = async (_host, { family }) =>
    [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ].filter((a) => family === 0 || a.family === family);
  await assert.rejects(connect(`both.test:${listener.address().port}`, { lookup, family: 6 }), {
    code: 'SOCKCAT_REFUSED',
  });
});

test('a lookup that never answers is cut by the connect timeout, with address and duration', async () => {
  const lookup: LookupFunction = () => new Promise(() => {});
  await assert.rejects(connect('hang.test:80', { lookup, timeout: 20 }), {
    name: 'TimeoutError',
    code: 'SOCKCAT_TIMEOUT',
    message: 'connect to hang.test:80 timed out after 20ms',
  });
});

test('an unresolvable host fails with SOCKCAT_RESOLVE naming it', async () => {
  await assert.rejects(connect('nonexistent.invalid:80'), {
    code: 'SOCKCAT_RESOLVE',
    message: /^host cannot be resolved: "nonexistent.invalid"/,
  });
});

test('validation errors are thrown before any I/O', async () => {
  await assert.rejects(connect('127.0.0.1:99999'), { code: 'SOCKCAT_ARGS' });
  await assert.rejects(connect({ port: 80 }), { message: 'connect needs a host' });
  await assert.rejects(connect('127.0.0.1:80', { localAddress: 'nothost' }), {
    message: 'source address "nothost" is not an IP address',
  });
  await assert.rejects(connect('127.0.0.1:80', { localAddress: '::1', family: 4 }), {
    code: 'SOCKCAT_ARGS',
  });
});

test('source address and port are bound before connecting', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const sourcePort = await freePort();
  const [client, server] = await Promise.all([
    connect(`127.0.0.1:${listener.address().port}`, {
      localAddress: '127.0.0.1',
      localPort: sourcePort,
    }),
    listener.accept(),
  ]);
  assert.equal(server.remote?.port, sourcePort);
  client.destroy();
  server.destroy();
});

test('listening on a port in use is a ListenError naming the address', async (t) => {
  const blocker: Server = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  await assert.rejects(listen(`127.0.0.1:${port}`), {
    name: 'ListenError',
    code: 'SOCKCAT_LISTEN',
    message: `listen on 127.0.0.1:${port} failed: Address already in use`,
  });
});

test('an aborted connect rejects with SOCKCAT_ABORTED', async () => {
  const lookup: LookupFunction = () => new Promise(() => {});
  const controller = new AbortController();
  const pending = connect('hang.test:80', { lookup, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { code: 'SOCKCAT_ABORTED' });
});

test('a peer reset surfaces as SOCKCAT_RESET on receive', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const [client, server] = await Promise.all([
    connect(`127.0.0.1:${listener.address().port}`),
    listener.accept(),
  ]);
  server.reset();
  await assert.rejects(client.recv(), { code: 'SOCKCAT_RESET' });
  client.destroy();
});

test('bytes that arrived before a reset are still received, then the reset is reported', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const [client, server] = await Promise.all([
    connect(`127.0.0.1:${listener.address().port}`),
    listener.accept(),
  ]);
  await server.send('last words\n');
  // Wait until the bytes are in the client's buffer, then reset.
  while (client.buffered < 11) await new Promise((resolve) => setImmediate(resolve));
  server.reset();
  await assert.rejects(client.recvAll(), { code: 'SOCKCAT_RESET' });
  assert.equal((await client.recvLine()).toString(), 'last words\n');
  await assert.rejects(client.recv(), { code: 'SOCKCAT_RESET' });
  client.destroy();
});

test('a connection that waited in the listener queue still receives its bytes', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const client = await connect(`127.0.0.1:${listener.address().port}`);
  await client.send('sent before accept');
  // Nobody is in accept(): the connection is held (paused) in the listener's queue.
  while (listener.pending === 0) await new Promise((resolve) => setImmediate(resolve));
  const server = await listener.accept();
  assert.equal((await server.recvExactly(18, { timeout: 5000 })).toString(), 'sent before accept');
  client.destroy();
  server.destroy();
});
