// Unix socket paths as node:net needs them: abstract names, and relative paths that look like
// numbers (node:net would take those for ports), bound and connected for real.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unixSocketPath } from '../../src/transports/target.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';

test('unixSocketPath: @name is abstract; a numeric relative path gets ./ in front', () => {
  assert.equal(unixSocketPath({ path: '@sock' }), '\0sock');
  assert.equal(unixSocketPath({ path: '9' }), './9');
  assert.equal(unixSocketPath({ path: '1e3' }), './1e3');
  assert.equal(unixSocketPath({ path: 'a.sock' }), 'a.sock');
  assert.equal(unixSocketPath({ path: '/tmp/9' }), '/tmp/9');
});

test('a Unix socket named "9" in the working directory listens and connects', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-numeric-path-'));
  const cwd = process.cwd();
  process.chdir(dir);
  t.after(async () => {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });
  const listener = await listen({ path: '9' });
  t.after(() => listener.close());
  const accepted = listener.accept();
  const client = await connect({ path: '9' });
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  await client.sendLine('through ./9');
  assert.equal((await server.recvLine()).toString(), 'through ./9\n');
});
