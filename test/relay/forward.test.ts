import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectWebSocket } from '../../src/dial/websocket-connect.js';
import { ArgumentError, ConnectionRefusedError } from '../../src/errors.js';
import { type ForwardEvent, forward } from '../../src/relay/forward.js';
import { formatForwardTarget, parseForwardTarget } from '../../src/relay/forward-target.js';
import { retryDelay } from '../../src/relay/retry.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { listenWebSocket } from '../../src/transports/websocket-listen.js';
import { portToListenOnLater, refusedPort } from '../helpers/ports.js';

/** Events as they come, and a way to wait for one. */
function recorder() {
  const events: ForwardEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    events,
    onEvent: (event: ForwardEvent) => {
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
    waitFor<T extends ForwardEvent['type']>(type: T, count = 1) {
      return new Promise<Extract<ForwardEvent, { type: T }>>((resolve) => {
        const check = () => {
          const found = events.filter((e) => e.type === type);
          if (found.length >= count) {
            waiters.delete(check);
            resolve(found[count - 1] as Extract<ForwardEvent, { type: T }>);
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

test('parseForwardTarget: every kind, and clear refusals', () => {
  assert.deepEqual(parseForwardTarget('example.com:80'), {
    kind: 'tcp',
    host: 'example.com',
    port: 80,
    tls: false,
  });
  assert.deepEqual(parseForwardTarget('tls://[::1]:443'), {
    kind: 'tcp',
    host: '::1',
    port: 443,
    tls: true,
  });
  assert.deepEqual(parseForwardTarget('wss://h/tunnel?k=1'), {
    kind: 'websocket',
    host: 'h',
    port: 443,
    path: '/tunnel?k=1',
    tls: true,
  });
  assert.deepEqual(parseForwardTarget('unix:/run/app.sock'), {
    kind: 'unix',
    path: '/run/app.sock',
    tls: false,
  });
  assert.deepEqual(parseForwardTarget('udp://127.0.0.1:53'), {
    kind: 'udp',
    host: '127.0.0.1',
    port: 53,
  });
  for (const text of ['h:80', 'tls://h:443', 'ws://h:8080/p', 'unix:@abstract', 'udp://h:53']) {
    assert.equal(formatForwardTarget(parseForwardTarget(text)), text);
  }
  assert.throws(() => parseForwardTarget('ftp://h:21'), {
    message: 'unknown scheme "ftp" in forward target "ftp://h:21" (tcp, tls, ws, wss, unix, udp)',
  });
  assert.throws(() => parseForwardTarget('h'), /invalid forward target "h": missing ":port"/);
  assert.throws(() => parseForwardTarget('unix:'), ArgumentError);
});

test('retryDelay doubles up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, 1000, 30_000)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
  assert.equal(retryDelay(3, 60_000, 30_000), 60_000);
});

test('TCP to TCP: the client FIN reaches the target and the answer still comes back', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const rec = recorder();
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${target.address().port}`, {
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const client = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => client.destroy());
  const upstream = await target.accept();
  await client.send('request');
  await client.shutdown('send');
  assert.equal((await upstream.recvAll()).toString(), 'request');
  await upstream.send('response!');
  await upstream.close();
  assert.equal((await client.recvAll()).toString(), 'response!');
  const closed = await rec.waitFor('closed');
  assert.equal(closed.toTarget, 7);
  assert.equal(closed.toClient, 9);
  assert.equal(closed.reason, 'done');
  assert.deepEqual(
    rec.events.map((e) => e.type),
    ['listening', 'accepted', 'connecting', 'connected', 'data-path', 'closed'],
  );
});

test('tap: every chunk of every client, with its id and direction, on the JavaScript path', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const rec = recorder();
  const tapped: string[] = [];
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${target.address().port}`, {
    onEvent: rec.onEvent,
    tap: (id, direction, chunk) => tapped.push(`${id} ${direction} ${chunk.toString()}`),
  });
  t.after(() => forwarder.close());
  const first = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => first.destroy());
  const firstUp = await target.accept();
  const second = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => second.destroy());
  const secondUp = await target.accept();
  await second.send('two');
  assert.equal((await secondUp.recvExactly(3)).toString(), 'two');
  await first.send('one');
  assert.equal((await firstUp.recvExactly(3)).toString(), 'one');
  await firstUp.send('ONE');
  assert.equal((await first.recvExactly(3)).toString(), 'ONE');
  assert.deepEqual(tapped, ['2 to-target two', '1 to-target one', '1 to-client ONE']);
  const paths = rec.events.filter((e) => e.type === 'data-path').map((e) => e.path);
  assert.deepEqual(paths, [
    'JavaScript (a tap sees the bytes)',
    'JavaScript (a tap sees the bytes)',
  ]);
  for (const tube of [first, second, firstUp, secondUp]) tube.destroy();
});

test('retry: attempts with a doubling delay, then the client is dropped', async (t) => {
  const port = await refusedPort();
  const rec = recorder();
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${port}`, {
    retry: { retries: 2, delay: 5 },
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const client = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => client.destroy());
  const closed = await rec.waitFor('closed');
  assert.equal(closed.reason, 'connect-failed');
  const failures = rec.events.filter((e) => e.type === 'connect-failed');
  assert.deepEqual(
    failures.map((e) => [e.attempt, e.retryIn, e.error instanceof ConnectionRefusedError]),
    [
      [1, 5, true],
      [2, 10, true],
      [3, undefined, true],
    ],
  );
  await assert.rejects(client.recvAll(), { code: 'SOCKCAT_RESET' });
});

test('retry: a target that comes up between attempts gets the client bytes', async (t) => {
  const port = await portToListenOnLater();
  const rec = recorder();
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${port}`, {
    retry: { retries: Number.POSITIVE_INFINITY, delay: 5 },
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const client = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => client.destroy());
  await client.send('early bytes');
  await rec.waitFor('connect-failed');
  const target = await listen(`127.0.0.1:${port}`);
  t.after(() => target.close());
  const upstream = await target.accept();
  assert.equal((await upstream.recvExactly(11)).toString(), 'early bytes');
  const connected = await rec.waitFor('connected');
  assert.ok(connected.attempt >= 2);
  upstream.destroy();
});

test('maxConnections and allow drop clients, with the reason', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const rec = recorder();
  let allowed = true;
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${target.address().port}`, {
    maxConnections: 1,
    allow: () => allowed,
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const port = forwarder.address().port;
  const first = await connect(`127.0.0.1:${port}`);
  t.after(() => first.destroy());
  await target.accept();
  // A dropped client is reset at once, maybe before its own connect() has returned.
  const attempt = () =>
    connect(`127.0.0.1:${port}`).then(
      (tube) => tube.destroy(),
      () => {},
    );
  await attempt();
  assert.equal((await rec.waitFor('denied')).reason, 'max-conns');
  allowed = false;
  await attempt();
  assert.equal((await rec.waitFor('denied', 2)).reason, 'not-allowed');
});

test('idleTimeout ends a silent relay', async (t) => {
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const rec = recorder();
  const forwarder = await forward('127.0.0.1:0', `127.0.0.1:${target.address().port}`, {
    idleTimeout: 20,
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const client = await connect(`127.0.0.1:${forwarder.address().port}`);
  t.after(() => client.destroy());
  assert.equal((await rec.waitFor('closed')).reason, 'idle-timeout');
});

test('TCP to a ws:// target and ws:// to TCP: bytes both ways, FIN as Close', async (t) => {
  const wsTarget = await listenWebSocket('127.0.0.1:0', { path: '/in' });
  t.after(() => wsTarget.close());
  const rec = recorder();
  const toWs = await forward('127.0.0.1:0', `ws://127.0.0.1:${wsTarget.address().port}/in`, {
    onEvent: rec.onEvent,
  });
  t.after(() => toWs.close());
  const client = await connect(`127.0.0.1:${toWs.address().port}`);
  t.after(() => client.destroy());
  const server = await wsTarget.accept();
  await client.send('over tcp');
  assert.deepEqual(await server.recvMessage(), { data: Buffer.from('over tcp'), text: false });
  await server.send('over ws');
  assert.equal((await client.recvExactly(7)).toString(), 'over ws');
  await client.shutdown('send');
  assert.equal((await server.recvAll()).length, 0);
  assert.equal((await server.whenClosed()).code, 1000);
  assert.equal((await client.recvAll()).length, 0);

  const tcpTarget = await listen('127.0.0.1:0');
  t.after(() => tcpTarget.close());
  const fromWs = await forward('ws://127.0.0.1:0/tunnel', `127.0.0.1:${tcpTarget.address().port}`);
  t.after(() => fromWs.close());
  const wsClient = await connectWebSocket(`ws://127.0.0.1:${fromWs.address().port}/tunnel`);
  t.after(() => wsClient.destroy());
  const upstream = await tcpTarget.accept();
  await wsClient.send('hello');
  assert.equal((await upstream.recvExactly(5)).toString(), 'hello');
  await upstream.send('back');
  await upstream.shutdown('send');
  assert.equal((await wsClient.recvAll()).toString(), 'back');
  assert.equal((await wsClient.whenClosed()).initiator, 'peer');
});

test('a tls:// target is verified unless told otherwise; unix: targets', async (t) => {
  const secure = await listen('127.0.0.1:0', { tls: true });
  t.after(() => secure.close());
  const rec = recorder();
  const strict = await forward('127.0.0.1:0', `tls://127.0.0.1:${secure.address().port}`, {
    onEvent: rec.onEvent,
  });
  t.after(() => strict.close());
  const refused = await connect(`127.0.0.1:${strict.address().port}`);
  t.after(() => refused.destroy());
  const failed = await rec.waitFor('connect-failed');
  assert.equal(failed.error.name, 'TlsError');
  const relaxed = await forward('127.0.0.1:0', `tls://127.0.0.1:${secure.address().port}`, {
    connect: { tls: { insecure: true } },
  });
  t.after(() => relaxed.close());
  const client = await connect(`127.0.0.1:${relaxed.address().port}`);
  t.after(() => client.destroy());
  const upstream = await secure.accept();
  await client.send('x');
  assert.equal((await upstream.recv()).toString(), 'x');
  upstream.destroy();

  const dir = await mkdtemp(join(tmpdir(), 'sockcat-forward-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const unixTarget = await listen({ path: join(dir, 'target.sock') });
  t.after(() => unixTarget.close());
  const toUnix = await forward(
    `unix:${join(dir, 'front.sock')}`,
    `unix:${join(dir, 'target.sock')}`,
  );
  t.after(() => toUnix.close());
  const unixClient = await connect({ path: join(dir, 'front.sock') });
  t.after(() => unixClient.destroy());
  const unixUpstream = await unixTarget.accept();
  await unixClient.send('via unix');
  assert.equal((await unixUpstream.recvExactly(8)).toString(), 'via unix');
  unixUpstream.destroy();
});

test('UDP sessions: each peer gets its own upstream socket and its answers', async (t) => {
  const echo = createSocket('udp4');
  echo.on('message', (data, rinfo) =>
    echo.send(Buffer.concat([Buffer.from('echo:'), data]), rinfo.port, rinfo.address),
  );
  echo.bind(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());
  const rec = recorder();
  const forwarder = await forward('udp://127.0.0.1:0', `udp://127.0.0.1:${echo.address().port}`, {
    onEvent: rec.onEvent,
  });
  t.after(() => forwarder.close());
  const port = forwarder.address().port;
  const peers = [createSocket('udp4'), createSocket('udp4')];
  t.after(() => {
    for (const peer of peers) peer.close();
  });
  const answers = await Promise.all(
    peers.map(async (peer, i) => {
      const answer = once(peer, 'message');
      peer.send(`peer ${i}`, port, '127.0.0.1');
      return ((await answer)[0] as Buffer).toString();
    }),
  );
  assert.deepEqual(answers.sort(), ['echo:peer 0', 'echo:peer 1']);
  assert.equal((await rec.waitFor('accepted', 2)).type, 'accepted');
  await assert.rejects(forward('udp://127.0.0.1:0', '127.0.0.1:1'), {
    message: 'UDP sessions forward to a udp:// target, not 127.0.0.1:1',
  });
});
