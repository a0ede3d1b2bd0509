// -z: ncat's single-port check, and port lists/ranges beyond it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { runCli } from '../helpers/child.js';
import { refusedPort } from '../helpers/ports.js';

async function openPort(t: { after(fn: () => unknown): void }): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

test('-z with one port: silent, exit 0 when open, 1 when closed (the error only with -v)', async (t) => {
  const open = await openPort(t);
  const ok = await runCli(['-z', '127.0.0.1', String(open)]);
  assert.deepEqual([ok.code, ok.stdout.toString(), ok.stderr], [0, '', '']);
  const closed = await refusedPort();
  const refused = await runCli(['-z', '127.0.0.1', String(closed)]);
  assert.deepEqual([refused.code, refused.stdout.toString(), refused.stderr], [1, '', '']);
  const verbose = await runCli(['-z', '-v', '127.0.0.1', String(closed)]);
  assert.equal(verbose.code, 1);
  assert.match(verbose.stderr, /failed: Connection refused$/m);
  const unresolvable = await runCli(['-z', '-n', 'localhost', String(closed)]);
  assert.equal(unresolvable.code, 2);
  assert.match(unresolvable.stderr, /name resolution is disabled/);
});

test('-z with a list: one stdout line per open port, a summary on stderr', async (t) => {
  const open = await openPort(t);
  const closed = await refusedPort();
  const { code, stdout, stderr } = await runCli(['-z', '127.0.0.1', `${closed},${open}`]);
  assert.equal(code, 0);
  assert.equal(stdout.toString(), `127.0.0.1:${open} open\n`);
  assert.match(
    stderr,
    /^sockcat: scanned 2 ports on 127\.0\.0\.1 in [\d.]+ s: 1 open, 1 closed, 0 filtered$/m,
  );
  const verbose = await runCli([
    '-zv',
    '--scan-concurrency',
    '1',
    '127.0.0.1',
    `${closed},${closed}`,
  ]);
  assert.equal(verbose.code, 1, 'nothing open');
  assert.match(verbose.stderr, new RegExp(`127\\.0\\.0\\.1:${closed} closed`));
});

test('-z does not apply to -l', async () => {
  const { code, stderr } = await runCli(['-l', '-z', '1']);
  assert.equal(code, 2);
  assert.match(stderr, /-z scans ports; it does not apply to -l/);
});
