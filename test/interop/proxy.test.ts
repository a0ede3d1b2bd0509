// Proxies against real peers: curl through sockcat's HTTP and SOCKS5 servers, sockcat's client
// through `ncat -l --proxy-type http` (Basic and Digest), ncat's SOCKS5 client through sockcat.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { feedStdin, finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';

/** A local origin: answers every request with its method and path. */
async function startOrigin(t: TestContext): Promise<number> {
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      response.end(`origin saw ${request.method} ${request.url}${body ? ` ${body}` : ''}\n`);
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

async function startEcho(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

async function startSockcatProxy(t: TestContext, type: 'http' | 'socks5', args: string[] = []) {
  const child = spawnCli(['-lv', '--proxy-type', type, ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return Number(match[1]);
}

async function curl(t: TestContext, path: string, args: string[]) {
  const child = spawn(path, ['-sS', '--max-time', '20', ...args], { stdio: 'pipe' });
  t.after(() => stop(child));
  child.stdin.end();
  return finished(child);
}

test('curl --proxy through sockcat -l --proxy-type http: GET forwarding, POST, and CONNECT (-p)', async (t) => {
  const curlPath = requirePeer(t, 'curl');
  if (!curlPath) return;
  const origin = await startOrigin(t);
  const proxy = await startSockcatProxy(t, 'http', ['--proxy-auth', 'u:p']);
  const url = `http://127.0.0.1:${origin}/a?b=1`;
  const get = await curl(t, curlPath, ['--proxy', `http://u:p@127.0.0.1:${proxy}`, url]);
  assert.equal(get.stderr, '');
  assert.equal(get.stdout.toString(), 'origin saw GET /a?b=1\n');
  const post = await curl(t, curlPath, [
    '--proxy',
    `http://u:p@127.0.0.1:${proxy}`,
    '-d',
    'x=1',
    url,
  ]);
  assert.equal(post.stdout.toString(), 'origin saw POST /a?b=1 x=1\n');
  const tunnel = await curl(t, curlPath, ['-p', '--proxy', `http://u:p@127.0.0.1:${proxy}`, url]);
  assert.equal(tunnel.stdout.toString(), 'origin saw GET /a?b=1\n');
  const denied = await curl(t, curlPath, [
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--proxy',
    `http://127.0.0.1:${proxy}`,
    url,
  ]);
  assert.equal(denied.stdout.toString(), '407');
});

test('curl --socks5-hostname through sockcat -l --proxy-type socks5, with and without credentials', async (t) => {
  const curlPath = requirePeer(t, 'curl');
  if (!curlPath) return;
  const origin = await startOrigin(t);
  const open = await startSockcatProxy(t, 'socks5');
  const result = await curl(t, curlPath, [
    '--socks5-hostname',
    `127.0.0.1:${open}`,
    `http://localhost:${origin}/x`,
  ]);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout.toString(), 'origin saw GET /x\n');
  const locked = await startSockcatProxy(t, 'socks5', ['--proxy-auth', 'u:p']);
  const withAuth = await curl(t, curlPath, [
    '--socks5-hostname',
    `127.0.0.1:${locked}`,
    '--proxy-user',
    'u:p',
    `http://localhost:${origin}/y`,
  ]);
  assert.equal(withAuth.stdout.toString(), 'origin saw GET /y\n');
  const without = await curl(t, curlPath, [
    '--socks5-hostname',
    `127.0.0.1:${locked}`,
    `http://localhost:${origin}/z`,
  ]);
  assert.notEqual(without.code, 0);
});

/**
 * ncat 7.93's proxy server ignores the listen address: it binds every address, IPv4 and IPv6, each
 * on its own port when the port is 0. -4 leaves one socket (its port is then unambiguous) and
 * --allow turns away anything but loopback clients while it runs.
 */
const NCAT_PROXY_LOOPBACK = ['-4', '--allow', '127.0.0.1'];

/**
 * The CLI with `text` on stdin, kept open until the echo came back: ncat's proxy server closes
 * the whole tunnel when the client half-closes, so an EOF sent early would lose the reply.
 */
async function echoThrough(t: TestContext, args: string[], text: string) {
  const child = spawnCli(args);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write(text);
  await waitForLine(child.stdout!, new RegExp(text));
  child.stdin!.end();
  return done;
}

test('sockcat --proxy through ncat -l --proxy-type http, open and with --proxy-auth (Digest)', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const echo = await startEcho(t);
  const open = await startListeningPeer(t, {
    command: ncat,
    args: ['-lv', ...NCAT_PROXY_LOOPBACK, '--proxy-type', 'http', '127.0.0.1', '0'],
    ready: /Listening on/,
    reportsPort: false,
  });
  const through = await echoThrough(
    t,
    ['--proxy', `127.0.0.1:${open.port}`, '127.0.0.1', String(echo)],
    'via ncat\n',
  );
  assert.equal(through.stderr, '');
  assert.equal(through.stdout.toString(), 'via ncat\n');
  assert.equal(through.code, 0);
  const locked = await startListeningPeer(t, {
    command: ncat,
    args: [
      '-lv',
      ...NCAT_PROXY_LOOPBACK,
      '--proxy-type',
      'http',
      '--proxy-auth',
      'joe:pw',
      '127.0.0.1',
      '0',
    ],
    ready: /Listening on/,
    reportsPort: false,
  });
  const authed = await echoThrough(
    t,
    ['--proxy', `127.0.0.1:${locked.port}`, '--proxy-auth', 'joe:pw', '127.0.0.1', String(echo)],
    'digest\n',
  );
  assert.equal(authed.stderr, '');
  assert.equal(authed.stdout.toString(), 'digest\n');
  const wrong = await runCli([
    '--proxy',
    `127.0.0.1:${locked.port}`,
    '--proxy-auth',
    'joe:nope',
    '127.0.0.1',
    String(echo),
  ]);
  assert.equal(
    wrong.stderr,
    `sockcat: proxy 127.0.0.1:${locked.port} refused the credentials of --proxy-auth: 407 Proxy Authentication Required\n`,
  );
  assert.equal(wrong.code, 1);
});

test('ncat --proxy-type socks5 through sockcat -l --proxy-type socks5 (with --proxy-auth)', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const echo = await startEcho(t);
  const proxy = await startSockcatProxy(t, 'socks5', ['--proxy-auth', 'joe:secret']);
  for (const target of ['127.0.0.1', 'localhost']) {
    const child = spawn(
      ncat,
      [
        '--proxy',
        `127.0.0.1:${proxy}`,
        '--proxy-type',
        'socks5',
        '--proxy-auth',
        'joe:secret',
        target,
        String(echo),
      ],
      { stdio: 'pipe' },
    );
    t.after(() => stop(child));
    const done = finished(child);
    feedStdin(child, `ncat via ${target}\n`);
    const result = await done;
    assert.equal(result.stdout.toString(), `ncat via ${target}\n`);
    assert.equal(result.code, 0);
  }
});
