// sockcat -l --proxy-type http side by side with ncat 7.93's own proxy server, where clients and
// attacks test it: the same request through each, with a client that half-closes at once
// (`printf ... | nc`) and one that keeps its side open; then curl (Basic, Digest, a POST body, a
// chunked upload) as the client, in plaintext and inside TLS (--ssl).
//
// Where sockcat differs from ncat 7.93, on purpose:
// - a request line over 8 KiB gets 414 (ncat: 413 for any line over about 1 KiB);
// - a chunked body is forwarded (ncat answers 400), as HTTP/1.1, the version that defines it;
// - conflicting Content-Length values get 400 (ncat forwards them and uses the first);
// - a CONNECT whose client half-closes keeps the other direction (ncat closes the tunnel);
// - a CONNECT to the proxy itself gets 403 (ncat opens the tunnel; issue 17, item 3);
// - forwarded requests carry a Via header (loop detection), which ncat does not add.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { listeningPortOf, startListeningPeer } from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';

interface Seen {
  /** What the origin received, head and body. */
  bytes: string;
}

/**
 * An origin that answers `HTTP/1.0 200 OK` and closes once it has a head followed by `body`
 * (or end of file): it knows what a correct proxy delivers, so it never waits on a proxy that
 * keeps its side open (ncat does after the body).
 */
async function startOrigin(t: TestContext, host = '127.0.0.1') {
  const sockets = new Set<Socket>();
  const waiting: Array<{ body: string; resolve: (seen: Seen) => void }> = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let data = '';
    let done = false;
    const answer = () => {
      if (done) return;
      done = true;
      waiting.shift()?.resolve({ bytes: data });
      socket.end('HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nok');
    };
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      const want = waiting[0]?.body ?? '';
      if (end !== -1 && data.length - end - 4 >= want.length) answer();
    });
    socket.on('end', answer);
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port: (server.address() as { port: number }).port,
    /** The next request, once it has brought `body` after its head. */
    next(body = ''): Promise<Seen> {
      return new Promise((resolve) => waiting.push({ body, resolve }));
    },
  };
}

/** ncat -l --proxy-type http on loopback (it ignores the listen address: -4 and --allow). */
async function startNcatProxy(t: TestContext, ncat: string, args: string[] = []) {
  const peer = await startListeningPeer(t, {
    command: ncat,
    args: ['-lv', '-4', '--allow', '127.0.0.1', '--proxy-type', 'http', ...args, '127.0.0.1', '0'],
    ready: /Listening on/,
    reportsPort: false,
  });
  return peer.port;
}

async function startSockcatProxy(t: TestContext, args: string[] = [], host = '127.0.0.1') {
  const child = spawnCli(['-lv', '--proxy-type', 'http', ...args, host, '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on (?:\[[^\]]+\]|[\d.]+):(\d+)/);
  return Number(match[1]);
}

type ClientKind = 'half-close' | 'keep-open';

/** Send a request; half-close at once or keep our side open; everything the proxy answers. */
async function ask(
  port: number,
  request: string | Buffer,
  kind: ClientKind,
  host = '127.0.0.1',
): Promise<string> {
  const socket = netConnect({ host, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  // A reset after the answer (a proxy closing on bytes it did not read) is not a failure here.
  const closed = new Promise((resolve) => socket.once('close', resolve));
  // Kept open until the proxy has finished its answer.
  socket.once('end', () => socket.end());
  if (kind === 'half-close') socket.end(request);
  else socket.write(request);
  await closed;
  return Buffer.concat(chunks).toString('latin1');
}

const statusLine = (reply: string) => reply.split('\r\n')[0];
/** The origin's view without the Via header sockcat adds (ncat adds none). */
const withoutVia = (bytes: string) => bytes.replace(/\r\nVia: [^\r]*/, '');

async function bothProxies(t: TestContext) {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return undefined;
  return { ncat: await startNcatProxy(t, ncat), sockcat: await startSockcatProxy(t) };
}

for (const kind of ['half-close', 'keep-open'] as const) {
  test(`side by side with ncat (${kind} client): 413 head, 405 method, 400 relative URI; 403 loop`, async (t) => {
    const proxies = await bothProxies(t);
    if (!proxies) return;
    for (const [name, port] of Object.entries(proxies)) {
      const header = `GET http://127.0.0.1:9/ HTTP/1.0\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`;
      assert.equal(
        statusLine(await ask(port, header, kind)),
        'HTTP/1.0 413 Request Entity Too Large',
        name,
      );
      const line = `GET http://127.0.0.1:9/${'a'.repeat(10_000)} HTTP/1.0\r\n\r\n`;
      assert.match(statusLine(await ask(port, line, kind)) ?? '', /^HTTP\/1\.0 41[34] /, name);
      assert.equal(
        await ask(port, 'FOO http://127.0.0.1:9/ HTTP/1.0\r\n\r\n', kind),
        'HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n',
        name,
      );
      assert.equal(
        await ask(port, 'GET / HTTP/1.0\r\n\r\n', kind),
        'HTTP/1.0 400 Bad Request\r\n\r\n',
        name,
      );
    }
    // ncat's loop check compares with the port it was given, which is 0 here (it answers 403 to
    // `GET http://itself:PORT/` when started on a fixed port); sockcat compares with the port
    // it got, so its 403 is checked alone, for GET and, unlike ncat, for CONNECT.
    assert.equal(
      await ask(proxies.sockcat, `GET http://127.0.0.1:${proxies.sockcat}/ HTTP/1.0\r\n\r\n`, kind),
      'HTTP/1.0 403 Forbidden\r\n\r\n',
    );
    // Where the two differ on purpose: 414 for a long request line, 403 for a CONNECT loop.
    const line = `GET http://127.0.0.1:9/${'a'.repeat(10_000)} HTTP/1.0\r\n\r\n`;
    assert.equal(
      await ask(proxies.sockcat, line, kind),
      'HTTP/1.0 414 Request-URI Too Long\r\n\r\n',
    );
    assert.equal(
      await ask(proxies.sockcat, `CONNECT 127.0.0.1:${proxies.sockcat} HTTP/1.0\r\n\r\n`, kind),
      'HTTP/1.0 403 Forbidden\r\n\r\n',
    );
  });

  test(`side by side with ncat (${kind} client): POST bodies of every length, GET and HEAD, folded and repeated headers`, async (t) => {
    const proxies = await bothProxies(t);
    if (!proxies) return;
    const origin = await startOrigin(t);
    const url = `http://127.0.0.1:${origin.port}/p?q=1`;
    const cases: Array<[string, string, string]> = [
      // [request head after the request line, what the client sends after it, body delivered]
      ['Content-Length: 4\r\n', 'abc\n', 'abc\n'],
      ['Content-Length: 0\r\n', '', ''],
      ['Content-Length: 2\r\n', 'abc\n', 'ab'],
      ['Content-Length: 0\r\nX-B: c\r\n d\r\nX-A: 1\r\nX-A: 2\r\n', '', ''],
    ];
    if (kind === 'half-close') {
      // A short body: the client's FIN ends it. (Kept open, both proxies rightly wait for more.)
      cases.push(['Content-Length: 10\r\n', 'abc\n', 'abc\n']);
    }
    for (const method of ['POST', 'GET', 'HEAD']) {
      for (let [headers, sent, delivered] of cases) {
        if (method !== 'POST' && sent !== '') continue;
        // Without a body, GET and HEAD carry no Content-Length.
        if (method !== 'POST') headers = headers.replace('Content-Length: 0\r\n', '');
        const request = `${method} ${url} HTTP/1.0\r\n${headers}\r\n${sent}`;
        const seen: Record<string, string> = {};
        for (const [name, port] of Object.entries(proxies)) {
          const arrived = origin.next(delivered);
          const reply = await ask(port, request, kind);
          assert.equal(
            reply,
            'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nok',
            `${name}: ${request}`,
          );
          seen[name] = (await arrived).bytes;
        }
        assert.equal(withoutVia(seen['sockcat']!), seen['ncat'], request);
        assert.ok(seen['ncat']!.endsWith(`\r\n\r\n${delivered}`), request);
      }
    }
  });

  test(`side by side with ncat (${kind} client): CONNECT relays bytes sent right after the request`, async (t) => {
    const proxies = await bothProxies(t);
    if (!proxies) return;
    const received: Buffer[] = [];
    const target = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).includes('END')) socket.end('bye');
      });
      socket.on('end', () => socket.end());
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    t.after(() => target.close());
    const targetPort = (target.address() as { port: number }).port;
    const payload = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x41, 0x45, 0x4e, 0x44]);
    // ncat 7.93 closes the tunnel when its client half-closes: only sockcat is asked then.
    const asked = kind === 'half-close' ? { sockcat: proxies.sockcat } : proxies;
    for (const [name, port] of Object.entries(asked)) {
      received.length = 0;
      const request = Buffer.concat([
        Buffer.from(`CONNECT 127.0.0.1:${targetPort} HTTP/1.0\r\n\r\n`),
        payload,
      ]);
      assert.equal(await ask(port, request, kind), 'HTTP/1.0 200 OK\r\n\r\nbye', name);
      assert.deepEqual(Buffer.concat(received), payload, name);
    }
  });
}

test('side by side with ncat: an IPv4 client to an IPv6 origin, and an IPv6 client to an IPv4 origin', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const v6Origin = await startOrigin(t, '::1');
  const v4Origin = await startOrigin(t, '127.0.0.1');
  // Without -4 ncat listens on IPv4 and IPv6, each on its own port for port 0.
  const both = await startListeningPeer(t, {
    command: ncat,
    args: ['-lv', '--allow', '127.0.0.1,::1', '--proxy-type', 'http', '127.0.0.1', '0'],
    // Both sockets: the port of the first is read from /proc before the second exists otherwise.
    ready: /Listening on [^\n]*\n[\s\S]*Listening on [^\n]*\n/,
    reportsPort: false,
  });
  const ncatV6 = await listeningPortOf(both.child.pid!, 'tcp', { ipv6Only: true });
  const ncatV4 = both.port;
  const sockcatV4 = await startSockcatProxy(t);
  const sockcatV6 = await startSockcatProxy(t, [], '::1');
  const routes: Array<[string, number, string, { next(): Promise<Seen>; port: number }]> = [
    ['ncat 4->6', ncatV4, '127.0.0.1', v6Origin],
    ['sockcat 4->6', sockcatV4, '127.0.0.1', v6Origin],
    ['ncat 6->4', ncatV6, '::1', v4Origin],
    ['sockcat 6->4', sockcatV6, '::1', v4Origin],
  ];
  for (const [name, port, clientHost, origin] of routes) {
    const originHost = origin === v6Origin ? '[::1]' : '127.0.0.1';
    const arrived = origin.next();
    const reply = await ask(
      port,
      `GET http://${originHost}:${origin.port}/x HTTP/1.0\r\n\r\n`,
      'half-close',
      clientHost,
    );
    assert.equal(reply, 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nok', name);
    assert.match(withoutVia((await arrived).bytes), /^GET \/x HTTP\/1\.0\r\nHost: /, name);
  }
});

/** A Node HTTP origin: answers with the method, path and body it got. */
async function startHttpOrigin(t: TestContext): Promise<number> {
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const chunked = request.headers['transfer-encoding'] === 'chunked' ? ' (chunked)' : '';
      response.end(`origin saw ${request.method} ${request.url} ${body}${chunked}\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

async function curl(t: TestContext, path: string, args: string[], input = '') {
  const child = spawn(path, ['-sS', '--max-time', '20', ...args], { stdio: 'pipe' });
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin.end(input);
  return done;
}

for (const tls of [false, true]) {
  const mode = tls ? ' --ssl' : '';
  test(`curl through sockcat -l --proxy-type http --proxy-auth${mode}: --proxy-basic, --proxy-digest, POST body, chunked upload`, async (t) => {
    const curlPath = requirePeer(t, 'curl');
    if (!curlPath) return;
    const origin = await startHttpOrigin(t);
    const port = await startSockcatProxy(t, ['--proxy-auth', 'u:p', ...(tls ? ['--ssl'] : [])]);
    const proxy = tls
      ? ['--proxy', `https://127.0.0.1:${port}`, '--proxy-insecure']
      : ['--proxy', `http://127.0.0.1:${port}`];
    const url = `http://127.0.0.1:${origin}/a?b=1`;
    for (const scheme of ['--proxy-basic', '--proxy-digest']) {
      const get = await curl(t, curlPath, [...proxy, scheme, '--proxy-user', 'u:p', url]);
      assert.equal(get.stderr, '', scheme);
      assert.equal(get.stdout.toString(), 'origin saw GET /a?b=1 \n', scheme);
      const post = await curl(t, curlPath, [
        ...proxy,
        scheme,
        '--proxy-user',
        'u:p',
        '--data-binary',
        'x=1&y=2',
        url,
      ]);
      assert.equal(post.stdout.toString(), 'origin saw POST /a?b=1 x=1&y=2\n', scheme);
      const chunked = await curl(
        t,
        curlPath,
        [
          ...proxy,
          scheme,
          '--proxy-user',
          'u:p',
          '-H',
          'Transfer-Encoding: chunked',
          '--data-binary',
          '@-',
          url,
        ],
        'streamed body',
      );
      assert.equal(chunked.stdout.toString(), 'origin saw POST /a?b=1 streamed body (chunked)\n');
      const wrong = await curl(t, curlPath, [
        ...proxy,
        scheme,
        '--proxy-user',
        'u:wrong',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        url,
      ]);
      assert.equal(wrong.stdout.toString(), '407', scheme);
    }
  });
}

test('-l --proxy-type http --ssl: a POST body from a TLS client that closes its side at once arrives', async (t) => {
  const origin = await startOrigin(t);
  const port = await startSockcatProxy(t, ['--ssl']);
  const arrived = origin.next('abc\n');
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(`POST http://127.0.0.1:${origin.port}/ HTTP/1.0\r\nContent-Length: 4\r\n\r\nabc\n`);
  await once(socket, 'close');
  assert.equal(Buffer.concat(chunks).toString(), 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nok');
  assert.match((await arrived).bytes, /\r\n\r\nabc\n$/);
  const loop = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await once(loop, 'secureConnect');
  const answer: Buffer[] = [];
  loop.on('data', (chunk: Buffer) => answer.push(chunk));
  loop.end(`CONNECT 127.0.0.1:${port} HTTP/1.0\r\n\r\n`);
  await once(loop, 'close');
  assert.equal(Buffer.concat(answer).toString(), 'HTTP/1.0 403 Forbidden\r\n\r\n');
});
