// The WebSocket transport in the CLI: ws:// URLs, -l --websocket, framing, close codes, wss
// verification, retries, and the refusals of what a WebSocket cannot honour.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { connectWebSocket } from '../../src/dial/websocket-connect.js';
import { listenWebSocket } from '../../src/transports/websocket-listen.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { portToListenOnLater } from '../helpers/ports.js';

async function startListener(args: string[]) {
  const child = spawnCli(['-lv', '--websocket', ...args, '127.0.0.1', '0']);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

test('connect: stdin goes out in binary messages, messages come out as a byte stream', async (t) => {
  const listener = await listenWebSocket('127.0.0.1:0', { path: '/api' });
  t.after(() => listener.close());
  const { port } = listener.address();
  const child = spawnCli(['-v', `ws://127.0.0.1:${port}/api`]);
  t.after(() => stop(child));
  const server = await listener.accept();
  child.stdin!.write('hello\n');
  assert.deepEqual(await server.recvMessage(), { data: Buffer.from('hello\n'), text: false });
  await server.sendMessage('first ');
  await server.sendMessage(Buffer.from('second\n'));
  await waitForLine(child.stdout!, /^first second\n$/);
  await server.closeWith(4001, 'done');
  const done = await finished(child);
  assert.equal(done.code, 0);
  assert.match(done.stderr, /Connected to ws:\/\/127\.0\.0\.1:\d+\/api\./);
  assert.match(done.stderr, /WebSocket closed by the peer: code 4001 \("done"\)\./);
});

test('--ws-lines: one text message per line, one line per message; --json has the close', async (t) => {
  const listener = await listenWebSocket('127.0.0.1:0');
  t.after(() => listener.close());
  const { port } = listener.address();
  const child = spawnCli(['--ws-lines', '--json', `ws://127.0.0.1:${port}/`]);
  t.after(() => stop(child));
  const server = await listener.accept();
  child.stdin!.write('one\r\ntwo\nthr');
  assert.deepEqual(await server.recvMessage(), { data: Buffer.from('one'), text: true });
  assert.deepEqual(await server.recvMessage(), { data: Buffer.from('two'), text: true });
  await server.sendMessage('answer');
  await server.sendMessage('');
  await waitForLine(child.stdout!, /^answer\n\n$/);
  // Stdin's end sends the last line, then a Close: nothing can be sent to the client after it.
  child.stdin!.end('ee');
  assert.deepEqual(await server.recvMessage(), { data: Buffer.from('three'), text: true });
  assert.equal((await server.recvAll()).length, 0);
  const done = await finished(child);
  assert.equal(done.code, 0);
  const events = done.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(events.find((e) => e['event'] === 'connected')?.['transport'], 'websocket');
  const closed = events.find((e) => e['event'] === 'websocket-closed');
  assert.equal(closed?.['code'], 1000);
  assert.equal(closed?.['initiator'], 'local');
});

test('--ws-text sends text messages; -l --websocket --ws-path prints what a client sends', async (t) => {
  const { child, port } = await startListener(['--ws-path', '/in', '--ws-text']);
  t.after(() => stop(child));
  await assert.rejects(
    connectWebSocket(`ws://127.0.0.1:${port}/other`),
    (error: unknown) => (error as { status?: number }).status === 404,
  );
  const client = await connectWebSocket(`ws://127.0.0.1:${port}/in`);
  t.after(() => client.destroy());
  await client.sendMessage(Buffer.from('from client\n'));
  await waitForLine(child.stdout!, /^from client\n$/);
  child.stdin!.write('from server');
  assert.deepEqual(await client.recvMessage(), { data: Buffer.from('from server'), text: true });
  await waitForLine(child.stderr!, /Connection from 127\.0\.0\.1:\d+ \(WebSocket \/in\)\./);
  await client.closeWith(1000);
  assert.equal((await finished(child)).code, 0);
});

test('-l --websocket --json: the listening and accepted events name the websocket transport', async (t) => {
  const child = spawnCli(['-l', '--websocket', '--json', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const listening = await waitForLine(child.stderr!, /^(\{"v":1[^\n]*"event":"listening"[^\n]*)\n/);
  const event = JSON.parse(listening[1]!) as { transport: string; local: { port: number } };
  assert.equal(event.transport, 'websocket');
  const client = await connectWebSocket(`ws://127.0.0.1:${event.local.port}/`);
  t.after(() => client.destroy());
  const accepted = await waitForLine(child.stderr!, /(\{"v":1[^\n]*"event":"accepted"[^\n]*)\n/);
  assert.equal((JSON.parse(accepted[1]!) as { transport: string }).transport, 'websocket');
  await client.closeWith(1000);
  assert.equal((await finished(child)).code, 0);
});

test('-l -k --websocket serves many clients, stdin to all of them', async (t) => {
  const child = spawnCli(['-lkv', '--websocket', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const a = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  const b = await connectWebSocket(`ws://127.0.0.1:${port}/`);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitForLine(child.stderr!, /Connection from[^\n]*\n[^\n]*Connection from/);
  child.stdin!.write('to all\n');
  assert.equal((await a.recvLine()).toString(), 'to all\n');
  assert.equal((await b.recvLine()).toString(), 'to all\n');
  await a.send('from a\n');
  await waitForLine(child.stdout!, /from a\n/);
});

test('wss:// verifies the server by default; --ssl-insecure turns it off', async (t) => {
  const listener = await listenWebSocket('127.0.0.1:0', { tls: true });
  t.after(() => listener.close());
  const { port } = listener.address();
  const refused = await runCli([`wss://127.0.0.1:${port}/`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /certificate/);
  assert.doesNotMatch(refused.stderr, /\n.*\n./, 'one line');
  const accepted = listener.accept();
  const child = spawnCli(['--ssl-insecure', `wss://127.0.0.1:${port}/`]);
  t.after(() => stop(child));
  const server = await accepted;
  child.stdin!.end('secret');
  assert.equal((await server.recvAll()).toString(), 'secret');
  assert.equal((await finished(child)).code, 0);
});

test('-l --websocket --ssl without -k: the one client failing its TLS handshake or its upgrade ends the run (exit 1), as -l --ssl', async (t) => {
  for (const failure of ['plaintext', 'wrong path'] as const) {
    const child = spawnCli(['-lv', '--websocket', '--ssl', '--ws-path', '/in', '127.0.0.1', '0']);
    t.after(() => stop(child));
    const done = finished(child);
    const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
    if (failure === 'plaintext') {
      const plain = await connect(`127.0.0.1:${port}`);
      t.after(() => plain.destroy());
      await plain.send('GET /in HTTP/1.1\r\nHost: x\r\n\r\n');
    } else {
      await assert.rejects(
        connectWebSocket(`wss://127.0.0.1:${port}/other`, { tls: { insecure: true } }),
      );
    }
    const result = await done;
    assert.equal(result.code, 1, `${failure}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /Connection from/, failure);
  }
});

test('--retry: each failed attempt at -v, then the connection', async (t) => {
  const port = await portToListenOnLater();
  const child = spawnCli([
    '-v',
    '--retry',
    '50',
    '--retry-delay',
    '20ms',
    `ws://127.0.0.1:${port}/`,
  ]);
  t.after(() => stop(child));
  await waitForLine(child.stderr!, /\(attempt 1\); retrying in 0\.02s\./);
  const listener = await listenWebSocket(`127.0.0.1:${port}`);
  t.after(() => listener.close());
  const server = await listener.accept();
  child.stdin!.end('late but there');
  assert.equal((await server.recvAll()).toString(), 'late but there');
  await waitForLine(child.stderr!, /Connecting to ws:\/\/127\.0\.0\.1:\d+\/ \(attempt 2\)\./);
  assert.equal((await finished(child)).code, 0);
});

test('refused by name before any socket opens', async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['--ssl', 'ws://127.0.0.1:1/'],
      /^sockcat: --ssl cannot be used with a ws:\/\/ URL: a ws:\/\/ URL is plaintext: use wss:\/\/ for TLS\n$/,
    ],
    [['-u', 'ws://127.0.0.1:1/'], /-u, --udp cannot be used with .*a WebSocket runs over TCP/],
    [
      ['--websocket', '127.0.0.1', '1'],
      /--websocket cannot be used with connect mode: connect to a ws:\/\/ or wss:\/\/ URL instead/,
    ],
    [
      ['--ws-text', '127.0.0.1', '1'],
      /--ws-text cannot be used with connect mode: it applies to WebSocket connections/,
    ],
    [['-l', 'ws://127.0.0.1:1/'], /is a WebSocket URL to connect to; listen with -l --websocket/],
    [
      ['--ssl-insecure', '--ssl', '127.0.0.1', '1'],
      /--ssl-insecure cannot be used with connect mode --ssl/,
    ],
    [['ws://127.0.0.1:1/', '80'], /too many arguments: 80 \(a WebSocket URL carries its port\)/],
    [
      ['--ws-max-message', 'lots', 'ws://127.0.0.1:1/'],
      /invalid --ws-max-message buffer size "lots"/,
    ],
  ];
  for (const [argv, message] of cases) {
    const done = await runCli(argv);
    assert.equal(done.code, 2, argv.join(' '));
    assert.match(done.stderr, message, argv.join(' '));
  }
});

test('-k with a ws:// or wss:// URL is refused by name (it ran a plain TCP session before)', async () => {
  // A WebSocket close ends both directions: connect mode's half-open -k has nothing to keep.
  for (const url of ['ws://127.0.0.1:9/', 'wss://127.0.0.1:9/']) {
    const { code, stderr } = await runCli(['-k', url]);
    assert.equal(code, 2, url);
    assert.match(
      stderr,
      /^sockcat: -k, --keep-open cannot be used with a ws:\/\/ URL( --ssl)?: a WebSocket close ends both directions/,
      url,
    );
  }
});
