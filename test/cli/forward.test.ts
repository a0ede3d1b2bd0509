// -l --forward TARGET: relays in one process, EOF per direction, --json events with byte counts,
// --retry for the target, -m, and the refusals of what forwarding cannot honour.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect as dial } from '../../src/dial/connect.js';
import { formatHexDump } from '../../src/relay/hexdump.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { portToListenOnLater, refusedPort } from '../helpers/ports.js';

async function startForward(args: string[]) {
  const child = spawnCli(['-lkv', ...args, '127.0.0.1', '0']);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-forward-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function events(text: string): Array<Record<string, unknown>> {
  return (
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      // With --json on stderr, -v lines are `log` events there too (docs/json-events.md).
      .filter((event) => event['event'] !== 'log')
  );
}

test('--forward: the client FIN reaches the target, the answer comes back; --json events', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const { child, port } = await startForward([
    '--json',
    '--forward',
    `127.0.0.1:${target.address().port}`,
  ]);
  t.after(() => stop(child));
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  const upstream = await target.accept();
  await client.send('question');
  await client.shutdown('send');
  assert.equal((await upstream.recvAll()).toString(), 'question');
  await upstream.send('answer');
  await upstream.close();
  assert.equal((await client.recvAll()).toString(), 'answer');
  await waitForLine(child.stderr!, /"event":"closed"/);
  const seen = events((await waitForLine(child.stderr!, /[\s\S]*"event":"closed".*\n/))[0]);
  assert.deepEqual(
    seen.map((e) => e['event']),
    ['listening', 'accepted', 'connected-upstream', 'closed'],
  );
  const closed = seen.at(-1)!;
  assert.equal(closed['received'], 8);
  assert.equal(closed['sent'], 6);
  assert.equal(closed['reason'], 'done');
  assert.equal(seen[2]!['target'], `127.0.0.1:${target.address().port}`);
});

test("--forward -m: a client beyond the limit is closed, with ncat's -m line and a denied event", async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const { child, port } = await startForward([
    '-m',
    '1',
    '--json',
    '--forward',
    `127.0.0.1:${target.address().port}`,
  ]);
  t.after(() => stop(child));
  const first = await connect(`127.0.0.1:${port}`);
  t.after(() => first.destroy());
  const upstream = await target.accept();
  t.after(() => upstream.destroy());
  const second = await connect(`127.0.0.1:${port}`);
  t.after(() => second.destroy());
  // forward() resets a client beyond its limit: nothing ever arrives.
  await assert.rejects(second.recvAll(), { code: 'SOCKCAT_RESET' });
  await waitForLine(child.stderr!, /New connection denied: connection limit reached \(1\)/);
  await waitForLine(child.stderr!, /"event":"denied"[^\n]*"reason":"max-conns"/);
  await first.send('still relayed');
  assert.equal((await upstream.recvExactly(13)).toString(), 'still relayed');
});

test('-l -k --ssl --forward: a client whose handshake fails is dropped with the reason at -v, and the forwarder goes on', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const { child, port } = await startForward([
    '--ssl',
    '--forward',
    `127.0.0.1:${target.address().port}`,
  ]);
  t.after(() => stop(child));
  const plain = await connect(`127.0.0.1:${port}`);
  t.after(() => plain.destroy());
  await plain.send('GET / HTTP/1.0\r\n\r\n');
  await waitForLine(child.stderr!, /TLS handshake with 127\.0\.0\.1:\d+ failed: /);
  const secured = await dial(`127.0.0.1:${port}`, { tls: { insecure: true } });
  t.after(() => secured.destroy());
  const upstream = await target.accept();
  t.after(() => upstream.destroy());
  await secured.send('inside TLS');
  assert.equal((await upstream.recvExactly(10)).toString(), 'inside TLS');
});

test('--forward --retry: the attempts are at -v and in --json until the target is up', async (t) => {
  const targetPort = await portToListenOnLater();
  const { child, port } = await startForward([
    '--json',
    '--retry-forever',
    '--retry-delay',
    '10ms',
    '--forward',
    `127.0.0.1:${targetPort}`,
  ]);
  t.after(() => stop(child));
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send('queued');
  await waitForLine(child.stderr!, /"event":"connect-failed".*"attempt":1.*"retryIn":10/);
  await waitForLine(child.stderr!, /\(attempt 1\); retrying in 0\.01s\./);
  const target = await listen(`127.0.0.1:${targetPort}`);
  t.after(() => target.close());
  const upstream = await target.accept();
  assert.equal((await upstream.recvExactly(6)).toString(), 'queued');
  await waitForLine(child.stderr!, /"event":"connected-upstream"/);
  upstream.destroy();
});

test('--forward to a ws:// target and from -l --websocket: a TCP tunnel over WebSocket', async (t) => {
  const origin = await listen('127.0.0.1:0');
  t.after(() => origin.close());
  const log = join(tempDir(t), 'ws.raw');
  const back = await startForward([
    '-o',
    log,
    '--websocket',
    '--ws-path',
    '/tunnel',
    '--forward',
    `127.0.0.1:${origin.address().port}`,
  ]);
  t.after(() => stop(back.child));
  const front = await startForward(['--forward', `ws://127.0.0.1:${back.port}/tunnel`]);
  t.after(() => stop(front.child));
  const client = await connect(`127.0.0.1:${front.port}`);
  t.after(() => client.destroy());
  const upstream = await origin.accept();
  await client.send('ping over ws');
  assert.equal((await upstream.recvExactly(12)).toString(), 'ping over ws');
  await upstream.send('pong');
  assert.equal((await client.recvExactly(4)).toString(), 'pong');
  await upstream.close();
  assert.equal((await client.recvAll()).length, 0);
  // The WebSocket side's log holds the payload, not the frames.
  assert.equal(readFileSync(log, 'utf8'), 'ping over wspong');
});

/**
 * A UDP server answering each datagram with `answer(datagram)`, `sockcat -u -l -k --forward` to
 * it (with `args`), and a UDP peer to send to the forward's port.
 */
async function udpForward(
  t: TestContext,
  answer: (datagram: Buffer) => string | Buffer,
  args: string[] = [],
) {
  const echo = createSocket('udp4');
  echo.on('message', (data, rinfo) => echo.send(answer(data), rinfo.port, rinfo.address));
  echo.bind(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());
  const udp = spawnCli([
    '-u',
    '-lkv',
    ...args,
    '--forward',
    `udp://127.0.0.1:${echo.address().port}`,
    '127.0.0.1',
    '0',
  ]);
  t.after(() => stop(udp));
  const udpPort = Number((await waitForLine(udp.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const peer = createSocket('udp4');
  t.after(() => peer.close());
  return { udpPort, peer };
}

test('--forward refuses what it cannot honour, by name, before any socket opens', async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['--forward', '127.0.0.1:1', '127.0.0.1', '2'],
      /--forward cannot be used with connect mode: it relays the clients of a listener: use -l/,
    ],
    [
      ['-l', '--forward', '127.0.0.1:1', '-C', '2'],
      /-C, --crlf cannot be used with -l --forward: it rewrites standard input, and --forward relays the client to the target untouched/,
    ],
    [
      ['-l', '--forward', '127.0.0.1:1', '-e', 'cat', '2'],
      /-e, --exec cannot be used with -l --forward/,
    ],
    [
      ['-l', '--forward', 'udp://127.0.0.1:1', '2'],
      /--forward cannot be used with -l --forward: a udp:\/\/ target takes UDP sessions: listen with -u -l/,
    ],
    [['-l', '--forward', 'ftp://h:1', '2'], /unknown scheme "ftp" in forward target "ftp:\/\/h:1"/],
    [
      ['-l', '--forward', '127.0.0.1:1', '--ssl-insecure', '2'],
      /--ssl-insecure cannot be used with -l --forward/,
    ],
    [
      // It listened in plaintext UDP and relayed the client's DTLS records as they came.
      ['-u', '-l', '--ssl', '--forward', 'udp://127.0.0.1:1', '2'],
      /--ssl cannot be used with -u -l --forward: a DTLS --forward listener is not built/,
    ],
    [
      ['-l', '--retry', '3', '2'],
      /--retry cannot be used with -l: it retries connecting, and -l connects nowhere/,
    ],
    [
      // A UDP session's socket to the target never fails to open: nothing was retried.
      ['-u', '-l', '-k', '--retry', '3', '--forward', 'udp://127.0.0.1:1', '2'],
      /--retry cannot be used with -u -l -k --forward: a UDP session sends datagrams to its target: there is no connection to retry/,
    ],
    [
      ['-u', '-l', '--retry-forever', '--forward', 'udp://127.0.0.1:1', '2'],
      /--retry-forever cannot be used with -u -l --forward: a UDP session sends datagrams/,
    ],
  ];
  for (const [argv, message] of cases) {
    const done = await runCli(argv);
    assert.equal(done.code, 2, argv.join(' '));
    assert.match(done.stderr, message, argv.join(' '));
    assert.equal(done.stderr.split('\n').length, 2, `one line: ${done.stderr}`);
  }
});

test('the websocat/socat table: tls:// and udp:// targets, --retry in connect mode', async (t) => {
  const secure = await listen('127.0.0.1:0', { tls: true });
  t.after(() => secure.close());
  const strict = await startForward(['--forward', `tls://127.0.0.1:${secure.address().port}`]);
  t.after(() => stop(strict.child));
  const refused = await connect(`127.0.0.1:${strict.port}`);
  t.after(() => refused.destroy());
  await waitForLine(strict.child.stderr!, /certificate/);
  const relaxed = await startForward([
    '--ssl-insecure',
    '--forward',
    `tls://127.0.0.1:${secure.address().port}`,
  ]);
  t.after(() => stop(relaxed.child));
  const client = await connect(`127.0.0.1:${relaxed.port}`);
  t.after(() => client.destroy());
  const upstream = await secure.accept();
  await client.send('over tls');
  assert.equal((await upstream.recvExactly(8)).toString(), 'over tls');
  upstream.destroy();

  const { udpPort, peer } = await udpForward(t, (data) => data);
  const answer = once(peer, 'message');
  peer.send('datagram', udpPort, '127.0.0.1');
  assert.equal(((await answer)[0] as Buffer).toString(), 'datagram');

  const port = await refusedPort();
  const gaveUp = await runCli([
    '-v',
    '--retry',
    '2',
    '--retry-delay',
    '5ms',
    '127.0.0.1',
    String(port),
  ]);
  assert.equal(gaveUp.code, 1);
  assert.match(gaveUp.stderr, /\(attempt 1\); retrying in 0\.005s\.\n/);
  assert.match(gaveUp.stderr, /\(attempt 2\); retrying in 0\.01s\.\n/);
  assert.match(gaveUp.stderr, /\(attempt 3\); giving up\.\n/);
});

test('--forward -k -o -x: one log for every client, both directions, as ncat logs', async (t) => {
  const dir = tempDir(t);
  const raw = join(dir, 'forward.raw');
  const hex = join(dir, 'forward.hex');
  writeFileSync(raw, 'earlier run\n');
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const { child, port } = await startForward([
    '-o',
    raw,
    '-x',
    hex,
    '--append-output',
    '--forward',
    `127.0.0.1:${target.address().port}`,
  ]);
  t.after(() => stop(child));
  // Two clients at once, their chunks interleaved; each step waits for its bytes to arrive, so
  // the order in the log is known.
  const chunks: string[] = [];
  const step = async (from: Awaited<ReturnType<typeof connect>>, to: typeof from, text: string) => {
    await from.send(Buffer.from(text, 'latin1'));
    assert.equal((await to.recvExactly(text.length)).toString('latin1'), text);
    chunks.push(text);
  };
  const a = await connect(`127.0.0.1:${port}`);
  t.after(() => a.destroy());
  const upA = await target.accept();
  const b = await connect(`127.0.0.1:${port}`);
  t.after(() => b.destroy());
  const upB = await target.accept();
  await step(a, upA, 'a asks\n');
  await step(b, upB, 'b asks\n');
  await step(upA, a, 'A ANSWERS\n');
  await step(upB, b, 'B ANSWERS\x00\xff\n');
  await step(a, upA, 'a again\n');
  for (const tube of [a, b, upA, upB]) await tube.close();
  await waitForLine(child.stderr!, /bytes back in[\s\S]*bytes back in/);
  const path = await waitForLine(child.stderr!, /Data path: (.*)\./);
  assert.equal(path[1], 'JavaScript (a tap sees the bytes)');
  assert.equal(readFileSync(raw, 'latin1'), `earlier run\n${chunks.join('')}`);
  assert.equal(
    readFileSync(hex, 'latin1'),
    chunks.map((chunk) => formatHexDump(Buffer.from(chunk, 'latin1'))).join(''),
  );
  // ncat 7.93's -x layout, byte for byte.
  assert.ok(
    readFileSync(hex, 'latin1').startsWith(
      `0000   61 20 61 73 6b 73 0a                              a.asks.${' '.repeat(9)}\n`,
    ),
  );
});

test('--forward without a tap takes the native data path; -u --forward -o logs each datagram', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const plain = await startForward(['--forward', `127.0.0.1:${target.address().port}`]);
  t.after(() => stop(plain.child));
  const client = await connect(`127.0.0.1:${plain.port}`);
  t.after(() => client.destroy());
  const upstream = await target.accept();
  await client.send('untapped');
  assert.equal((await upstream.recvExactly(8)).toString(), 'untapped');
  assert.match(
    (await waitForLine(plain.child.stderr!, /Data path: (.*)\./))[1]!,
    /^native: both ways by [\w-]+$/,
  );
  upstream.destroy();

  const raw = join(tempDir(t), 'udp.raw');
  const { udpPort, peer } = await udpForward(t, (data) => data.toString().toUpperCase(), [
    '-o',
    raw,
  ]);
  for (const datagram of ['one\n', 'two\n']) {
    const answer = once(peer, 'message');
    peer.send(datagram, udpPort, '127.0.0.1');
    assert.equal(((await answer)[0] as Buffer).toString(), datagram.toUpperCase());
  }
  assert.equal(readFileSync(raw, 'utf8'), 'one\nONE\ntwo\nTWO\n');
});
