import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('Unix stream sockets: listen on a path, connect, exchange, half-close', async (t) => {
  const path = join(tempDir(t), 's.sock');
  const listener = await listen({ path });
  t.after(() => listener.close());
  const [client, server] = await Promise.all([connect({ path }), listener.accept()]);
  assert.equal(client.network, 'unix');
  assert.equal(server.network, 'unix');
  await client.send('over unix');
  await client.shutdown('send');
  assert.equal((await server.recvAll()).toString(), 'over unix');
  await server.close();
  await client.close();
});

test('Linux abstract socket names start with @', async (t) => {
  const path = `@sockcat-test-${process.pid}-${Date.now()}`;
  const listener = await listen({ path });
  t.after(() => listener.close());
  assert.equal(listener.address().address, path);
  const [client, server] = await Promise.all([connect({ path }), listener.accept()]);
  assert.equal(client.peerName, path);
  await client.sendLine('abstract');
  assert.equal((await server.recvLine({ drop: true })).toString(), 'abstract');
  client.destroy();
  server.destroy();
});

test('connecting to a missing socket names the path', async (t) => {
  const path = join(tempDir(t), 'missing.sock');
  await assert.rejects(connect({ path }), {
    code: 'SOCKCAT_CONNECT',
    message: `connect to ${path} failed: No such file or directory`,
  });
});

test('an empty path is refused before any I/O', async () => {
  await assert.rejects(listen({ path: '' }), { code: 'SOCKCAT_ARGS' });
});

test('a path longer than the kernel takes is refused before any I/O, never cut short', async (t) => {
  const dir = tempDir(t);
  // Two paths that share their first 108 bytes: truncated, they would be the same socket.
  const stem = join(dir, 'x'.repeat(120 - dir.length));
  const [a, b] = [`${stem}-a`, `${stem}-b`];
  for (const open of [() => listen({ path: a }), () => connect({ path: b })]) {
    await assert.rejects(open(), {
      code: 'SOCKCAT_ARGS',
      message:
        /is 123 bytes long; the kernel's limit is 107 .*: use a shorter path or an abstract name \(@name\)$/,
    });
  }
  assert.deepEqual(readdirSync(dir), [], 'no truncated socket file is left');
  await assert.rejects(listen({ path: `@${'n'.repeat(108)}` }), {
    code: 'SOCKCAT_ARGS',
    message: /^abstract socket name "@n+…\(\d+ characters\)…n+" is 108 bytes long/,
  });
});
