// The HTTP proxy server where clients and attacks test it: bodies from a client that half-closes
// at once, CONNECT bytes sent with the request, request loops (own address, Via), Digest on the
// wire, IPv4 to IPv6 and back. Side by side with ncat 7.93 in test/interop/proxy-server-parity.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { parseChallenges } from '../../src/proxy/auth-challenge.js';
import { digestAuthorization } from '../../src/proxy/digest.js';
import { createHttpProxyHandler } from '../../src/proxy/http-proxy-server.js';
import type { ProxyServerOptions } from '../../src/proxy/proxy-server-options.js';
import { createSocks5Handler } from '../../src/proxy/socks5-server.js';
import { serve } from '../../src/server/serve.js';

async function startProxy(
  t: TestContext,
  options: ProxyServerOptions = {},
  host = '127.0.0.1',
  kind: 'http' | 'socks5' = 'http',
): Promise<number> {
  const handler = kind === 'http' ? createHttpProxyHandler(options) : createSocks5Handler(options);
  const server = await serve({ listen: { host, port: 0 }, handler });
  t.after(() => server.close({ gracePeriod: 0 }));
  return server.address().port;
}

interface Origin {
  port: number;
  /** Each request as received when the origin answered, and whether the proxy had sent FIN. */
  seen: Promise<{ bytes: string; fin: boolean }>;
}

/**
 * An origin that answers once it has a whole request (the head, then Content-Length bytes or a
 * chunked body up to its last chunk) or end of file, whichever comes first.
 */
async function startOrigin(t: TestContext, host = '127.0.0.1'): Promise<Origin> {
  const sockets = new Set<Socket>();
  let report!: (value: { bytes: string; fin: boolean }) => void;
  const seen = new Promise<{ bytes: string; fin: boolean }>((resolve) => {
    report = resolve;
  });
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let data = '';
    let answered = false;
    const answer = (fin: boolean) => {
      if (answered) return;
      answered = true;
      report({ bytes: data, fin });
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    };
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (requestComplete(data)) answer(false);
    });
    socket.on('end', () => answer(true));
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, seen };
}

function requestComplete(data: string): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const head = data.slice(0, end);
  const body = data.slice(end + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) return /(^|\r\n)0\r\n\r\n$/.test(body);
  return true;
}

/** Send `request` and half-close at once (`printf ... | nc`); everything the proxy answers. */
async function halfClosed(port: number, request: string | Buffer, host = '127.0.0.1') {
  const socket = netConnect({ host, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(request);
  await once(socket, 'end');
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

const withoutVia = (request: string) => request.replace(/\r\nVia: [^\r]*/, '');

test('a POST body is delivered when the client half-closes right after it: exact, 0, short, long', async (t) => {
  const cases: Array<[string, string, string, boolean]> = [
    // [Content-Length, body sent, body the origin gets, whether the origin gets FIN first]
    ['4', 'abc\n', 'abc\n', false],
    ['0', '', '', false],
    ['10', 'abc\n', 'abc\n', true],
    ['2', 'abc\n', 'ab', false],
  ];
  for (const [length, sent, delivered, fin] of cases) {
    const origin = await startOrigin(t);
    const port = await startProxy(t);
    const reply = await halfClosed(
      port,
      `POST http://127.0.0.1:${origin.port}/p HTTP/1.0\r\nContent-Length: ${length}\r\n\r\n${sent}`,
    );
    assert.equal(
      reply,
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      `Content-Length ${length}`,
    );
    const seen = await origin.seen;
    assert.equal(
      withoutVia(seen.bytes),
      `POST /p HTTP/1.0\r\nContent-Length: ${length}\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n${delivered}`,
      `Content-Length ${length}`,
    );
    assert.equal(seen.fin, fin, `Content-Length ${length}: FIN before the body was complete`);
  }
});

test('a chunked body is delivered whole (as HTTP/1.1) when the client half-closes after it', async (t) => {
  const origin = await startOrigin(t);
  const port = await startProxy(t);
  const body = '4\r\nabc\n\r\n3;x=y\r\ndef\r\n0\r\n\r\n';
  const reply = await halfClosed(
    port,
    `POST http://127.0.0.1:${origin.port}/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  );
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  const seen = await origin.seen;
  assert.equal(
    withoutVia(seen.bytes),
    `POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n${body}`,
  );
  assert.equal(seen.fin, false);
});

test('a client that keeps its side open gets the same: the body, then the answer', async (t) => {
  const origin = await startOrigin(t);
  const port = await startProxy(t);
  const socket = netConnect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(`POST http://127.0.0.1:${origin.port}/ HTTP/1.0\r\nContent-Length: 6\r\n\r\nab`);
  socket.write('cdef');
  await once(socket, 'end');
  assert.equal(Buffer.concat(chunks).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.match((await origin.seen).bytes, /\r\n\r\nabcdef$/);
});

test('CONNECT: bytes sent with the request and a FIN right after them are relayed untouched', async (t) => {
  const received: Buffer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => socket.end('bye'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const target = (server.address() as { port: number }).port;
  const port = await startProxy(t);
  const payload = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x41]);
  const reply = await halfClosed(
    port,
    Buffer.concat([Buffer.from(`CONNECT 127.0.0.1:${target} HTTP/1.0\r\n\r\n`), payload]),
  );
  assert.equal(reply, 'HTTP/1.0 200 OK\r\n\r\nbye');
  assert.deepEqual(Buffer.concat(received), payload);
});

test('a request loop is refused with 403: CONNECT or GET to the proxy itself, by address or name', async (t) => {
  const port = await startProxy(t);
  for (const request of [
    `CONNECT 127.0.0.1:${port} HTTP/1.0\r\n\r\n`,
    `CONNECT localhost:${port} HTTP/1.0\r\n\r\n`,
    `CONNECT 127.0.0.5:${port} HTTP/1.0\r\n\r\n`,
    `CONNECT [::ffff:127.0.0.1]:${port} HTTP/1.0\r\n\r\n`,
    `GET http://127.0.0.1:${port}/ HTTP/1.0\r\n\r\n`,
  ]) {
    assert.equal(await halfClosed(port, request), 'HTTP/1.0 403 Forbidden\r\n\r\n', request);
  }
});

test('Via: hops are counted; a request that already passed this proxy, or too many hops, gets 403', async (t) => {
  const origin = await startOrigin(t);
  const port = await startProxy(t);
  const target = `http://127.0.0.1:${origin.port}/`;
  assert.match(
    await halfClosed(port, `GET ${target} HTTP/1.0\r\nVia: 1.0 a, 1.1 b\r\nVia: 1.1 c\r\n\r\n`),
    /^HTTP\/1\.1 200 OK/,
  );
  const forwarded = (await origin.seen).bytes;
  const own = /\r\nVia: 1\.0 a, 1\.1 b, 1\.1 c, 1\.0 (sockcat-[0-9a-f]{8})\r\n/.exec(forwarded);
  assert.ok(own, forwarded);
  assert.equal(
    await halfClosed(port, `GET ${target} HTTP/1.0\r\nVia: 1.1 x, 1.0 ${own[1]}\r\n\r\n`),
    'HTTP/1.0 403 Forbidden\r\n\r\n',
  );
  const many = Array.from({ length: 16 }, (_, i) => `1.1 p${i}`).join(', ');
  assert.equal(
    await halfClosed(port, `GET ${target} HTTP/1.0\r\nVia: ${many}\r\n\r\n`),
    'HTTP/1.0 403 Forbidden\r\n\r\n',
  );
});

test('SOCKS5: a CONNECT to the proxy itself gets reply 0x02 (not allowed)', async (t) => {
  const port = await startProxy(t, {}, '127.0.0.1', 'socks5');
  const reply = await halfClosed(
    port,
    Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff]),
  );
  assert.deepEqual(Buffer.from(reply, 'latin1'), Buffer.from([5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
});

test('obs-fold headers are accepted and forwarded joined; repeated headers stay one line each', async (t) => {
  const origin = await startOrigin(t);
  const port = await startProxy(t);
  await halfClosed(
    port,
    `GET http://127.0.0.1:${origin.port}/ HTTP/1.0\r\nX-B: c\r\n d\r\nX-A: 1\r\nX-A: 2\r\n\r\n`,
  );
  assert.equal(
    withoutVia((await origin.seen).bytes),
    `GET / HTTP/1.0\r\nX-B: c d\r\nX-A: 1\r\nX-A: 2\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`,
  );
});

test('Digest on the wire: with qop, without qop, a replayed answer and a missing field get 407', async (t) => {
  const origin = await startOrigin(t);
  const auth = { username: 'u', password: 'p' };
  const port = await startProxy(t, { auth });
  const target = `127.0.0.1:${origin.port}`;
  const challenge = async () => {
    const reply = await halfClosed(port, `CONNECT ${target} HTTP/1.0\r\n\r\n`);
    const values = [...reply.matchAll(/\r\nProxy-Authenticate: ([^\r]*)/g)].map((m) => m[1]!);
    const digest = parseChallenges(values).find((c) => c.scheme === 'digest');
    assert.ok(digest, reply);
    return digest;
  };
  const connectWith = (authorization: string) =>
    halfClosed(
      port,
      `CONNECT ${target} HTTP/1.0\r\nProxy-Authorization: ${authorization}\r\n\r\nGET / HTTP/1.0\r\n\r\n`,
    );
  const withQop = digestAuthorization(await challenge(), auth, 'CONNECT', target)!;
  assert.match(await connectWith(withQop), /^HTTP\/1\.0 200 OK\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.match(await connectWith(withQop), /^HTTP\/1\.0 407 /, 'the same answer again');
  const plain = await challenge();
  delete plain.params['qop'];
  const rfc2069 = digestAuthorization(plain, auth, 'CONNECT', target)!;
  assert.doesNotMatch(rfc2069, /qop/);
  assert.match(await connectWith(rfc2069), /^HTTP\/1\.0 200 OK/);
  assert.match(await connectWith(rfc2069), /^HTTP\/1\.0 407 /, 'an RFC 2069 answer again');
  const missing = digestAuthorization(await challenge(), auth, 'CONNECT', target)!.replace(
    /, response="[0-9a-f]+"/,
    '',
  );
  assert.match(await connectWith(missing), /^HTTP\/1\.0 407 /);
  assert.match(await connectWith('Digest'), /^HTTP\/1\.0 407 /);
});

test('IPv4 client to an IPv6 origin, and an IPv6 client to an IPv4 origin', async (t) => {
  const v6Origin = await startOrigin(t, '::1');
  const v4Proxy = await startProxy(t, {}, '127.0.0.1');
  assert.match(
    await halfClosed(v4Proxy, `GET http://[::1]:${v6Origin.port}/six HTTP/1.0\r\n\r\n`),
    /^HTTP\/1\.1 200 OK/,
  );
  assert.match(
    (await v6Origin.seen).bytes,
    /^GET \/six HTTP\/1\.0\r\n[\s\S]*\r\nHost: \[::1\]:\d+\r\n/,
  );
  const v4Origin = await startOrigin(t, '127.0.0.1');
  const v6Proxy = await startProxy(t, {}, '::1');
  assert.match(
    await halfClosed(v6Proxy, `GET http://127.0.0.1:${v4Origin.port}/four HTTP/1.0\r\n\r\n`, '::1'),
    /^HTTP\/1\.1 200 OK/,
  );
  assert.match((await v4Origin.seen).bytes, /^GET \/four HTTP\/1\.0\r\n/);
});
