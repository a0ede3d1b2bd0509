import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { encodeV1, encodeV2 } from '../../src/proxy-protocol/index.js';
import { serve } from '../../src/server/serve.js';
import type { ConnectionInfo } from '../../src/server/types.js';
import { connect } from '../../src/transports/tcp-connect.js';
import type { Tube } from '../../src/tube/tube.js';

const echo = async (tube: Tube) => {
  for await (const chunk of tube) await tube.send(chunk);
};

test('inline: a handler per connection, closed gracefully when it returns', async (t) => {
  const ready: unknown[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    handler: echo,
    onWorkerReady: (info) => ready.push(info),
  });
  t.after(() => server.close());
  // Inline, the one "worker" is this event loop, ready before serve() resolves.
  assert.deepEqual(ready, [{ worker: 'main', replaced: false }]);
  const client = await connect(`127.0.0.1:${server.address().port}`);
  await client.send('hello');
  await client.shutdown('send');
  assert.equal((await client.recvAll()).toString(), 'hello');
  client.destroy();
});

test('a handler error closes only its own connection and is reported once', async (t) => {
  const errors: string[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    handler: async (tube) => {
      const line = (await tube.recvLine({ drop: true })).toString();
      if (line === 'boom') throw new Error('handler exploded');
      await tube.sendLine(`ok ${line}`);
    },
    onError: (error) => errors.push(error.message),
  });
  t.after(() => server.close());
  const port = server.address().port;
  const bad = await connect(`127.0.0.1:${port}`);
  await bad.sendLine('boom');
  assert.equal((await bad.recvAll()).length, 0);
  const good = await connect(`127.0.0.1:${port}`);
  await good.sendLine('fine');
  assert.equal((await good.recvLine({ drop: true })).toString(), 'ok fine');
  assert.deepEqual(errors, ['handler exploded']);
  bad.destroy();
  good.destroy();
});

test('maxConnections with refuse: the extra connection is closed at once', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = await serve({
    listen: '127.0.0.1:0',
    maxConnections: 1,
    handler: async (tube) => {
      await tube.sendLine('served');
      await held;
    },
  });
  t.after(() => server.close());
  const port = server.address().port;
  const first = await connect(`127.0.0.1:${port}`);
  assert.equal((await first.recvLine({ drop: true })).toString(), 'served');
  const second = await connect(`127.0.0.1:${port}`);
  assert.equal((await second.recvAll()).length, 0, 'refused: closed without a greeting');
  assert.equal(server.connections, 1);
  release();
  first.destroy();
  second.destroy();
});

test('maxConnections with queue: the extra connection waits for a free slot', async (t) => {
  const server = await serve({
    listen: '127.0.0.1:0',
    maxConnections: 1,
    overflow: 'queue',
    handler: async (tube) => {
      await tube.sendLine('served');
      await tube.recvAll();
    },
  });
  t.after(() => server.close());
  const port = server.address().port;
  const first = await connect(`127.0.0.1:${port}`);
  assert.equal((await first.recvLine({ drop: true })).toString(), 'served');
  const second = await connect(`127.0.0.1:${port}`);
  await assert.rejects(second.recvLine({ timeout: 50 }), { code: 'SOCKCAT_TIMEOUT' });
  await first.shutdown('send');
  assert.equal((await second.recvLine({ drop: true })).toString(), 'served');
  first.destroy();
  second.destroy();
});

test('close() lets handlers finish, then forces the rest after the grace period', async () => {
  let finishedGracefully = false;
  let sawAbort = false;
  // close() is called once both handlers have read their line and wait: a handler still reading
  // when the grace period ends (a busy machine) would be forced for the wrong reason.
  const waiting: Promise<void>[] = [];
  const waits: (() => void)[] = [];
  for (let i = 0; i < 2; i++) waiting.push(new Promise((resolve) => waits.push(resolve)));
  const server = await serve({
    listen: '127.0.0.1:0',
    handler: async (tube, info) => {
      const line = (await tube.recvLine({ drop: true })).toString();
      if (line === 'quick') {
        // It finishes when the shutdown begins: inside the grace period, however busy the machine
        // (a round trip started only after close() could take longer than the 50 ms).
        const shutdown = once(info.closing, 'abort');
        waits[0]!();
        await shutdown;
        await tube.sendLine('done');
        finishedGracefully = true;
        return;
      }
      info.signal.addEventListener('abort', () => {
        sawAbort = true;
      });
      waits[1]!();
      await tube.recvAll();
    },
  });
  const port = server.address().port;
  const quick = await connect(`127.0.0.1:${port}`);
  const slow = await connect(`127.0.0.1:${port}`);
  await quick.sendLine('quick');
  await slow.sendLine('slow');
  await Promise.all(waiting);
  assert.equal(server.connections, 2);
  const closing = server.close({ gracePeriod: 50 });
  assert.equal((await quick.recvLine({ drop: true })).toString(), 'done');
  await closing;
  assert.equal(finishedGracefully, true);
  assert.equal(sawAbort, true);
  assert.equal(server.connections, 0);
  await assert.rejects(connect(`127.0.0.1:${port}`), { code: 'SOCKCAT_REFUSED' });
  quick.destroy();
  slow.destroy();
});

test('idleTimeout closes silent connections', async (t) => {
  const errors: string[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    idleTimeout: 30,
    handler: echo,
    onError: (error) => errors.push(error.message),
  });
  t.after(() => server.close());
  const client = await connect(`127.0.0.1:${server.address().port}`);
  assert.equal((await client.recvAll()).length, 0);
  assert.match(errors[0] ?? '', /idle for 30ms/);
  client.destroy();
});

/**
 * A server that reads a PROXY header, then echoes. `proxyTimeout` is the default (5 s) unless a
 * test needs it to expire: a short one would also cut off a header sent at once, on a busy machine.
 */
async function proxyServer(mode: true | 'optional', proxyTimeout?: number) {
  const seen: ConnectionInfo[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    proxyProtocol: mode,
    ...(proxyTimeout === undefined ? {} : { proxyTimeout }),
    handler: async (tube, info) => {
      seen.push(info);
      await tube.send(await tube.recvAll());
    },
    onError: () => {},
  });
  return { server, seen };
}

test('PROXY protocol v1 and v2: the handler sees the real client; later bytes are kept', async (t) => {
  const { server, seen } = await proxyServer(true);
  t.after(() => server.close());
  const port = server.address().port;
  const headers = [
    encodeV1({
      protocol: 'tcp4',
      source: { address: '203.0.113.7', port: 4242 },
      destination: { address: '198.51.100.1', port: 443 },
    }),
    encodeV2({
      command: 'proxy',
      protocol: 'tcp6',
      source: { address: '2001:db8::7', port: 4343 },
      destination: { address: '2001:db8::1', port: 443 },
    }),
  ];
  for (const header of headers) {
    const client = await connect(`127.0.0.1:${port}`);
    await client.send(Buffer.concat([header, Buffer.from('payload')]));
    await client.shutdown('send');
    assert.equal((await client.recvAll()).toString(), 'payload');
    client.destroy();
  }
  assert.deepEqual(
    seen.map((info) => [info.remote.address, info.remote.port, info.proxy?.version]),
    [
      ['203.0.113.7', 4242, 1],
      ['2001:db8::7', 4343, 2],
    ],
  );
});

test('PROXY protocol required: a connection without a header is dropped', async (t) => {
  const { server, seen } = await proxyServer(true);
  t.after(() => server.close());
  const client = await connect(`127.0.0.1:${server.address().port}`);
  await client.send('GET / HTTP/1.1\r\n\r\n');
  assert.equal((await client.recvAll()).length, 0);
  assert.equal(seen.length, 0);
  client.destroy();
});

test('PROXY protocol optional: a connection without a header goes through untouched', async (t) => {
  const { server, seen } = await proxyServer('optional');
  t.after(() => server.close());
  const client = await connect(`127.0.0.1:${server.address().port}`);
  await client.send('GET / HTTP/1.1\r\n\r\n');
  await client.shutdown('send');
  assert.equal((await client.recvAll()).toString(), 'GET / HTTP/1.1\r\n\r\n');
  assert.equal(seen[0]?.proxy, undefined);
  assert.equal(seen[0]?.remote.address, '127.0.0.1');
  client.destroy();
});

test('PROXY protocol: a client that never finishes its header is cut off', async (t) => {
  const { server } = await proxyServer(true, 200);
  t.after(() => server.close());
  const socket = new Socket();
  socket.connect(server.address().port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('PROXY TCP4 1.2.3.4');
  socket.resume();
  await once(socket, 'close');
});

test('invalid options fail before listening', async () => {
  await assert.rejects(serve({ listen: 0, handler: echo, maxConnections: 0 }), {
    code: 'SOCKCAT_ARGS',
    message: 'maxConnections must be at least 1, got 0',
  });
  await assert.rejects(serve({ listen: 0, handler: echo, concurrency: { threads: 0 } }), {
    message: 'concurrency.threads must be a positive integer, got 0',
  });
  await assert.rejects(serve({ listen: 0, handler: echo, concurrency: { processes: 2 } }), {
    code: 'SOCKCAT_ARGS',
    message: /pass the URL of a module/,
  });
});

test('a client that resets is not reported as a handler failure', async (t) => {
  const errors: string[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    handler: async (tube) => {
      await tube.recvExactly(100);
    },
    onError: (error) => errors.push(error.message),
  });
  t.after(() => server.close());
  const client = await connect(`127.0.0.1:${server.address().port}`);
  await client.send('partial');
  while (server.connections === 0) await new Promise((resolve) => setImmediate(resolve));
  client.reset();
  while (server.connections > 0) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(errors, []);
});
