import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { connectWebSocket } from '../../src/dial/websocket-connect.js';
import {
  ArgumentError,
  ClosedError,
  EOFError,
  TlsError,
  WebSocketError,
} from '../../src/errors.js';
import { listenWebSocket } from '../../src/transports/websocket-listen.js';
import { parseWebSocketUrl } from '../../src/transports/websocket-url.js';
import { waitForLine } from '../helpers/child.js';
import {
  requirePythonWebsockets,
  startPythonClient,
  startPythonServer,
} from '../helpers/python-websockets.js';

test('parseWebSocketUrl: default ports, path with query, IPv6, and refusals', () => {
  assert.deepEqual(parseWebSocketUrl('ws://example.com/chat?x=1'), {
    secure: false,
    host: 'example.com',
    port: 80,
    path: '/chat?x=1',
    href: 'ws://example.com/chat?x=1',
  });
  assert.equal(parseWebSocketUrl('wss://h').port, 443);
  assert.equal(parseWebSocketUrl('wss://h').path, '/');
  assert.equal(parseWebSocketUrl('ws://[::1]:9000/').host, '::1');
  assert.throws(() => parseWebSocketUrl('http://h/'), {
    message: 'a WebSocket URL starts with ws:// or wss://, not "http"',
  });
  assert.throws(() => parseWebSocketUrl('ws//h'), ArgumentError);
  assert.throws(() => parseWebSocketUrl('ws://h/#frag'), /has a fragment/);
});

test('python websockets server: text and binary messages keep their kind and bytes', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  t.after(() => tube.destroy());
  await tube.sendMessage('héllo');
  await tube.sendMessage(Buffer.from([0, 1, 2, 255]));
  await tube.sendMessage('');
  assert.deepEqual(await tube.recvMessage(), { data: Buffer.from('héllo'), text: true });
  assert.deepEqual(await tube.recvMessage(), { data: Buffer.from([0, 1, 2, 255]), text: false });
  assert.deepEqual(await tube.recvMessage(), { data: Buffer.alloc(0), text: true });
});

test('stream mode: Tube calls over the bytes of successive messages', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  t.after(() => tube.destroy());
  await tube.send('first li');
  await tube.send('ne\nsecond line\n');
  assert.equal((await tube.recvLine()).toString(), 'first line\n');
  assert.equal((await tube.recvExactly(6)).toString(), 'second');
  // The rest of the message that stream calls started on is one message.
  assert.deepEqual(await tube.recvMessage(), { data: Buffer.from(' line\n'), text: false });
});

test('large messages: 8 MiB each way, byte for byte', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`, {
    maxMessageSize: 9 * 1024 * 1024,
  });
  t.after(() => tube.destroy());
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  await tube.sendMessage(big);
  const echoed = await tube.recvMessage();
  assert.equal(echoed.text, false);
  assert.ok(echoed.data.equals(big));
});

test('a message over maxMessageSize closes with 1009 and fails the receive', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { child, port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`, { maxMessageSize: 1000 });
  t.after(() => tube.destroy());
  await tube.sendMessage('big 1001');
  await assert.rejects(tube.recvMessage(), (error: unknown) => {
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1009);
    assert.equal(
      error.message,
      `message from 127.0.0.1:${port} larger than the limit of 1000 bytes: closed with code 1009`,
    );
    return true;
  });
  await waitForLine(child.stdout!, /^closed 1009 /m);
  // sockcat sent the 1009 (ws's own 'close' event says 1006: it stops reading once it has sent it).
  const close = await tube.whenClosed();
  assert.equal(close.code, 1009);
  assert.equal(close.initiator, 'local');
});

test('close codes and reasons: the peer closes with 4001, EOF then closeInfo', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  t.after(() => tube.destroy());
  await tube.sendMessage('close 4001 bye now');
  await assert.rejects(tube.recvMessage(), EOFError);
  assert.deepEqual(await tube.whenClosed(), { code: 4001, reason: 'bye now', initiator: 'peer' });
  assert.deepEqual(tube.closeInfo, { code: 4001, reason: 'bye now', initiator: 'peer' });
  await assert.rejects(tube.send('late'), ClosedError);
});

test('closeWith sends the code and reason the server prints', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { child, port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  assert.throws(() => tube.closeWith(1005), { message: 'invalid WebSocket close code 1005' });
  await tube.closeWith(4321, 'done here');
  await waitForLine(child.stdout!, /^closed 4321 done here$/m);
  assert.deepEqual(tube.closeInfo, { code: 4321, reason: 'done here', initiator: 'local' });
});

test('ping: our ping gets a pong, and the peer gets pongs to its pings', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const { port } = await startPythonServer(t, python);
  const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`, { pingInterval: 60_000 });
  t.after(() => tube.destroy());
  const rtt = await tube.ping({ timeout: 10_000 });
  assert.ok(rtt >= 0);
  await tube.sendMessage('ping?');
  assert.deepEqual(await tube.recvMessage(), { data: Buffer.from('pong received'), text: true });
});

test('python websockets client against listenWebSocket: messages, ping, close code', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const listener = await listenWebSocket('127.0.0.1:0', { path: '/echo' });
  t.after(() => listener.close());
  const { port } = listener.address();
  const client = startPythonClient(t, python, `ws://127.0.0.1:${port}/echo?x=1`);
  const server = await listener.accept();
  t.after(() => server.destroy());
  assert.equal(server.url, '/echo?x=1');
  client.stdin!.write('text hello\nbinary 00ff10\nping\nrecv\nrecv\n');
  const first = await server.recvMessage();
  assert.deepEqual(first, { data: Buffer.from('hello'), text: true });
  const second = await server.recvMessage();
  assert.deepEqual(second, { data: Buffer.from([0, 0xff, 0x10]), text: false });
  await server.sendMessage(first.data, { text: true });
  await server.sendMessage(second.data);
  await waitForLine(client.stdout!, /^pong\ntext hello\nbinary 00ff10\n/m);
  client.stdin!.write('close 4000 finished\n');
  await assert.rejects(server.recvMessage(), EOFError);
  assert.deepEqual(await server.whenClosed(), {
    code: 4000,
    reason: 'finished',
    initiator: 'peer',
  });
  await waitForLine(client.stdout!, /^closed 4000 finished$/m);
});

test('listenWebSocket answers another path with 404 and plain HTTP with 426', async (t) => {
  const python = requirePythonWebsockets(t);
  if (!python) return;
  const dropped: string[] = [];
  const listener = await listenWebSocket('127.0.0.1:0', {
    path: '/only',
    onHandshakeError: (error) => dropped.push(error.message),
  });
  t.after(() => listener.close());
  const { port } = listener.address();
  const client = startPythonClient(t, python, `ws://127.0.0.1:${port}/other`);
  await waitForLine(client.stdout!, /^refused 404$/m);
  const response = await fetch(`http://127.0.0.1:${port}/only`);
  assert.equal(response.status, 426);
  await response.text();
  assert.match(
    dropped[0] ?? '',
    /^WebSocket client 127\.0\.0\.1:\d+ dropped: path "\/other" is not "\/only"$/,
  );
  await assert.rejects(
    connectWebSocket(`ws://127.0.0.1:${port}/nope`),
    (error: unknown) => error instanceof WebSocketError && error.status === 404,
  );
});

test('wss: the server certificate is verified by default; insecure or a pin opts out', async (t) => {
  const listener = await listenWebSocket('127.0.0.1:0', { tls: true });
  t.after(() => listener.close());
  const { port } = listener.address();
  await assert.rejects(connectWebSocket(`wss://127.0.0.1:${port}/`), TlsError);
  const accepted = listener.accept();
  const client = await connectWebSocket(`wss://127.0.0.1:${port}/`, {
    tls: { insecure: true, pin: `sha256:${listener.tls!.fingerprint}` },
  });
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  assert.equal(client.tls?.verified, true);
  await client.send('over tls');
  assert.equal((await server.recv()).toString(), 'over tls');
  await server.sendMessage('back');
  assert.deepEqual(await client.recvMessage(), { data: Buffer.from('back'), text: true });
  await client.close();
  assert.equal(server.closeInfo?.code ?? (await server.whenClosed()).code, 1000);
});

test('shutdown(send) sends Close 1000; what the peer sent before its Close still arrives', async (t) => {
  const listener = await listenWebSocket('127.0.0.1:0');
  t.after(() => listener.close());
  const accepted = listener.accept();
  const client = await connectWebSocket(`ws://127.0.0.1:${listener.address().port}/`);
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  await server.send('already sent');
  await client.shutdown('send');
  assert.equal((await server.recvAll()).toString(), '');
  assert.equal((await client.recvAll()).toString(), 'already sent');
  assert.deepEqual(await client.whenClosed(), { code: 1000, reason: '', initiator: 'local' });
});

test('a message the server sends at once after its 101 answer is not lost', async (t) => {
  // ws emits such a message on the tick after 'open': the tube must already be listening then.
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => ws.send(Buffer.from('first words')));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  t.after(() => {
    wss.close();
    http.close();
  });
  const { port } = http.address() as { port: number };
  for (let round = 0; round < 20; round++) {
    const tube = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(await tube.recvMessage({ timeout: 2000 }), {
      data: Buffer.from('first words'),
      text: false,
    });
    tube.destroy();
  }
});
