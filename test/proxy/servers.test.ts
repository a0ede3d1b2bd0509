// sockcat's proxy servers as serve() handlers, spoken to byte by byte: SOCKS5 reply codes and
// methods, and the HTTP proxy's answers and request rewriting (as ncat 7.93's proxy server).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { createHttpProxyHandler } from '../../src/proxy/http-proxy-server.js';
import { createSocks5Handler, type ProxyServerOptions } from '../../src/proxy/socks5-server.js';
import { serve } from '../../src/server/serve.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { refusedPort } from '../helpers/ports.js';

async function startProxy(
  t: TestContext,
  kind: 'socks5' | 'http',
  options: ProxyServerOptions = {},
): Promise<number> {
  const handler =
    kind === 'socks5' ? createSocks5Handler(options) : createHttpProxyHandler(options);
  const server = await serve({ listen: { host: '127.0.0.1', port: 0 }, handler });
  t.after(() => server.close({ gracePeriod: 0 }));
  return server.address().port;
}

/** A target that records what it receives and answers with `reply` once a head has arrived. */
async function startTarget(t: TestContext, reply = 'HTTP/1.0 200 OK\r\n\r\nhello') {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      received[0] = data;
      if (data.includes('\r\n\r\n')) socket.end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, received };
}

const b = (...bytes: number[]) => Buffer.from(bytes);
const socks5Connect = (port: number, atyp = 1, address = [127, 0, 0, 1], command = 1) =>
  b(5, command, 0, atyp, ...address, port >> 8, port & 0xff);

test('SOCKS5: no-auth CONNECT to an IPv4 target, bound address in the reply', async (t) => {
  const target = await startTarget(t, 'pong');
  const port = await startProxy(t, 'socks5');
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send(b(5, 1, 0));
  assert.deepEqual(await client.recvExactly(2), b(5, 0));
  await client.send(socks5Connect(target.port));
  const reply = await client.recvExactly(10);
  assert.deepEqual(reply.subarray(0, 8), b(5, 0, 0, 1, 127, 0, 0, 1));
  await client.send('ping\r\n\r\n');
  assert.equal((await client.recvAll()).toString(), 'pong');
});

test('SOCKS5 reply codes: refused 0x05, not allowed 0x02, BIND 0x07, address type 0x08', async (t) => {
  const closed = await refusedPort();
  const port = await startProxy(t, 'socks5', { allowDestination: (host) => host !== '127.0.0.2' });
  const ask = async (request: Buffer) => {
    const client = await connect(`127.0.0.1:${port}`);
    t.after(() => client.destroy());
    await client.send(b(5, 1, 0));
    await client.recvExactly(2);
    await client.send(request);
    return client.recvAll();
  };
  const reply = (code: number) => b(5, code, 0, 1, 0, 0, 0, 0, 0, 0);
  assert.deepEqual(await ask(socks5Connect(closed)), reply(0x05));
  assert.deepEqual(await ask(socks5Connect(80, 1, [127, 0, 0, 2])), reply(0x02));
  assert.deepEqual(await ask(socks5Connect(80, 1, [127, 0, 0, 1], 2)), reply(0x07));
  assert.deepEqual(await ask(b(5, 1, 0, 9, 0, 0)), reply(0x08));
});

test('SOCKS5 username/password: required when set; wrong ones get 0x01; no method gets 0xFF', async (t) => {
  const target = await startTarget(t, 'ok');
  const port = await startProxy(t, 'socks5', { auth: { username: 'u', password: 'p' } });
  const offerNoAuth = await connect(`127.0.0.1:${port}`);
  t.after(() => offerNoAuth.destroy());
  await offerNoAuth.send(b(5, 1, 0));
  assert.deepEqual(await offerNoAuth.recvAll(), b(5, 0xff));
  const wrong = await connect(`127.0.0.1:${port}`);
  t.after(() => wrong.destroy());
  await wrong.send(b(5, 2, 0, 2));
  assert.deepEqual(await wrong.recvExactly(2), b(5, 2));
  await wrong.send(b(1, 1, 0x75, 1, 0x78));
  assert.deepEqual(await wrong.recvAll(), b(1, 1));
  const right = await connect(`127.0.0.1:${port}`);
  t.after(() => right.destroy());
  await right.send(b(5, 2, 0, 2));
  await right.recvExactly(2);
  // Credentials and request in one write: the rest stays buffered for the next step.
  await right.send(Buffer.concat([b(1, 1, 0x75, 1, 0x70), socks5Connect(target.port)]));
  assert.deepEqual(await right.recvExactly(2), b(1, 0));
  assert.equal((await right.recvExactly(10))[1], 0);
});

test('SOCKS5 domain and IPv6 destinations', async (t) => {
  const target = await startTarget(t, 'named');
  const port = await startProxy(t, 'socks5');
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send(b(5, 1, 0));
  await client.recvExactly(2);
  const name = Buffer.from('localhost');
  await client.send(
    Buffer.concat([b(5, 1, 0, 3, name.length), name, b(target.port >> 8, target.port & 0xff)]),
  );
  assert.equal((await client.recvExactly(10))[1], 0);
  await client.send('x\r\n\r\n');
  assert.equal((await client.recvAll()).toString(), 'named');
  const v6 = await connect(`127.0.0.1:${port}`);
  t.after(() => v6.destroy());
  await v6.send(
    Buffer.concat([
      b(5, 1, 0),
      socks5Connect(await refusedPort('::1').catch(() => 9), 4, [...Array(15).fill(0), 1]),
    ]),
  );
  await v6.recvExactly(2);
  // ::1 answers (refused: nothing listens there) or is unavailable here; either way a reply, not a hang.
  const reply = await v6.recvAll();
  assert.equal(reply[0], 5);
  assert.ok([0x01, 0x03, 0x04, 0x05].includes(reply[1]!), `reply 0x${reply[1]?.toString(16)}`);
});

test("HTTP proxy: ncat's answers to a bad method, a relative URI and an unreachable target", async (t) => {
  const closed = await refusedPort();
  const port = await startProxy(t, 'http');
  const ask = async (request: string) => {
    const client = await connect(`127.0.0.1:${port}`);
    t.after(() => client.destroy());
    await client.send(request);
    return (await client.recvAll()).toString();
  };
  assert.equal(
    await ask('PUT http://127.0.0.1/ HTTP/1.0\r\n\r\n'),
    'HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n',
  );
  assert.equal(await ask('GET / HTTP/1.0\r\n\r\n'), 'HTTP/1.0 400 Bad Request\r\n\r\n');
  assert.equal(await ask('garbage\r\n\r\n'), 'HTTP/1.0 400 Bad Request\r\n\r\n');
  assert.equal(await ask('CONNECT 127.0.0.1 HTTP/1.0\r\n\r\n'), 'HTTP/1.0 400 Bad Request\r\n\r\n');
  assert.equal(
    await ask(`CONNECT 127.0.0.1:${closed} HTTP/1.0\r\n\r\n`),
    'HTTP/1.0 504 Gateway Timeout\r\n\r\n',
  );
  assert.equal(
    await ask(`GET http://127.0.0.1/ HTTP/1.0\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`),
    'HTTP/1.0 413 Request Entity Too Large\r\n\r\n',
    'a head over 16 KiB',
  );
  assert.equal(
    await ask(`GET http://127.0.0.1/${'a'.repeat(10_000)} HTTP/1.0\r\n\r\n`),
    'HTTP/1.0 414 Request-URI Too Long\r\n\r\n',
    'a request line over 8 KiB',
  );
  assert.equal(
    await ask('FOO http://127.0.0.1/ HTTP/1.0\r\n\r\n'),
    'HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n',
  );
});

test('HTTP proxy GET: origin-form, HTTP/1.0, hop-by-hop headers dropped, Host and Connection: close', async (t) => {
  const target = await startTarget(t);
  const port = await startProxy(t, 'http', { auth: { username: 'u', password: 'p' } });
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send(
    `GET http://127.0.0.1:${target.port}/a?b HTTP/1.1\r\nHost: x\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nProxy-Authorization: Basic dTpw\r\nX-A: 1\r\n\r\n`,
  );
  assert.equal((await client.recvAll()).toString(), 'HTTP/1.0 200 OK\r\n\r\nhello');
  assert.equal(
    target.received[0]!.toString(),
    `GET /a?b HTTP/1.0\r\nX-A: 1\r\nVia: 1.1 ${via(target.received[0]!)}\r\nHost: 127.0.0.1:${target.port}\r\nConnection: close\r\n\r\n`,
  );
});

/** This proxy's pseudonym in the Via header it added (`sockcat-` and 8 hex digits). */
function via(request: Buffer): string {
  const match = /\r\nVia: [0-9.]+ (sockcat-[0-9a-f]{8})\r\n/.exec(request.toString());
  assert.ok(match, `no Via in ${JSON.stringify(request.toString())}`);
  return match[1]!;
}

test('HTTP proxy auth: 407 with Basic and Digest challenges; the right credentials open the tunnel', async (t) => {
  const target = await startTarget(t, 'through');
  const port = await startProxy(t, 'http', { auth: { username: 'u', password: 'p' } });
  const denied = await connect(`127.0.0.1:${port}`);
  t.after(() => denied.destroy());
  await denied.send(`CONNECT 127.0.0.1:${target.port} HTTP/1.0\r\n\r\n`);
  assert.match(
    (await denied.recvAll()).toString(),
    /^HTTP\/1\.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="sockcat"\r\nProxy-Authenticate: Digest realm="sockcat", nonce="[0-9a-f]{32}", qop="auth"\r\n\r\n$/,
  );
  const allowed = await connect(`127.0.0.1:${port}`);
  t.after(() => allowed.destroy());
  await allowed.send(
    `CONNECT 127.0.0.1:${target.port} HTTP/1.0\r\nProxy-Authorization: Basic dTpw\r\n\r\nping\r\n\r\n`,
  );
  assert.equal((await allowed.recvAll()).toString(), 'HTTP/1.0 200 OK\r\n\r\nthrough');
});
