// The proxy servers' handshake phase under a HandshakeGate (issue 17 item 2): a flood of idle
// connections neither takes the places of clients that speak nor stops the listener, silent
// ones are dropped at the first-byte deadline, and -m (maxTunnels) counts tunnels only.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { createHttpProxyHandler } from '../../src/proxy/http-proxy-server.js';
import type { ProxyServerOptions } from '../../src/proxy/proxy-server-options.js';
import { createSocks5Handler } from '../../src/proxy/socks5-server.js';
import { serve } from '../../src/server/serve.js';
import { HandshakeGate } from '../../src/transports/handshake-gate.js';

async function startProxy(t: TestContext, kind: 'http' | 'socks5', options: ProxyServerOptions) {
  const handler = kind === 'http' ? createHttpProxyHandler(options) : createSocks5Handler(options);
  const server = await serve({ listen: { host: '127.0.0.1', port: 0 }, handler });
  t.after(() => server.close({ gracePeriod: 0 }));
  return server.address().port;
}

async function startTarget(t: TestContext) {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', () => socket.end('HTTP/1.0 200 OK\r\n\r\nserved'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/** Connections that connect and never send a byte, from `localAddress`. */
async function idle(t: TestContext, port: number, count: number, localAddress: string) {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => {});
    sockets.push(socket);
    // A refused one may be reset before its 'connect' is seen.
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
  }
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  return sockets;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

async function request(port: number, text: string | Buffer, localAddress = '127.0.0.1') {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress, allowHalfOpen: true });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.once('end', () => socket.end());
  socket.write(text);
  await closed(socket);
  return Buffer.concat(chunks).toString('latin1');
}

for (const kind of ['http', 'socks5'] as const) {
  test(`${kind}: under a flood of idle connections a client that speaks is still served`, async (t) => {
    const target = await startTarget(t);
    const gate = new HandshakeGate({
      maxHandshakes: 20,
      maxPerSource: 10,
      firstByteTimeout: 60_000,
    });
    const port = await startProxy(t, kind, { handshakes: gate });
    // 30 from one source: 10 wait in the gate, the other 20 are reset at once (per-source cap).
    const flood = await idle(t, port, 30, '127.0.0.1');
    await Promise.all(flood.slice(10).map(closed));
    // 10 more from a second source fill the gate; a newcomer evicts the oldest silent one.
    const second = await idle(t, port, 10, '127.0.0.3');
    const ask =
      kind === 'http'
        ? `GET http://127.0.0.1:${target}/ HTTP/1.0\r\n\r\n`
        : Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff, 0x47]);
    const reply = await request(port, ask, '127.0.0.2');
    assert.match(reply, /served$/);
    await closed(flood[0]!);
    assert.equal(gate.size, 19, 'the evicted one made room; the rest still wait');
    assert.ok(second.every((socket) => !socket.destroyed));
  });
}

test('a client silent past the first-byte deadline is dropped; one that started is not', async (t) => {
  // 'started' must send its first byte within the deadline, through this (busy) process: 1 s.
  const gate = new HandshakeGate({ firstByteTimeout: 1000 });
  const port = await startProxy(t, 'http', { handshakes: gate, handshakeTimeout: 60_000 });
  const [silent] = await idle(t, port, 1, '127.0.0.1');
  const started = netConnect({ host: '127.0.0.1', port });
  started.on('error', () => {});
  t.after(() => started.destroy());
  await once(started, 'connect');
  started.write('GET http://127.0.0.1:9/ HTTP/1.0\r\n');
  await closed(silent!);
  assert.equal(started.destroyed, false);
  started.end('\r\n');
  const answer: Buffer[] = [];
  started.on('data', (chunk: Buffer) => answer.push(chunk));
  await closed(started);
  assert.match(Buffer.concat(answer).toString(), /^HTTP\/1\.0 (504|403) /);
});

test('maxTunnels (-m) counts tunnels: beyond it HTTP 503 and SOCKS5 0x01 after the handshake', async (t) => {
  const holder = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
  });
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  const target = (holder.address() as { port: number }).port;
  for (const kind of ['http', 'socks5'] as const) {
    const port = await startProxy(t, kind, { maxTunnels: 1 });
    const open =
      kind === 'http'
        ? `CONNECT 127.0.0.1:${target} HTTP/1.0\r\n\r\n`
        : Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff]);
    const first = netConnect({ host: '127.0.0.1', port });
    first.on('error', () => {});
    t.after(() => first.destroy());
    const opened = new Promise<void>((resolve) => {
      let seen = 0;
      first.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= (kind === 'http' ? 19 : 12)) resolve();
      });
    });
    first.write(open);
    await opened;
    const refused = await request(port, open);
    if (kind === 'http') assert.equal(refused, 'HTTP/1.0 503 Service Unavailable\r\n\r\n');
    else
      assert.deepEqual(
        Buffer.from(refused, 'latin1'),
        Buffer.from([5, 0, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0]),
      );
  }
});
