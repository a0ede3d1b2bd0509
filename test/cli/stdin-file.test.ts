// A regular file on stdin (`sockcat host port < file`) is read in 1 MiB pieces rather than through
// process.stdin: every byte must still arrive, in order, with EOF handled as for a pipe.
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { finished, spawnCli, waitForLine } from '../helpers/child.js';
import { sha256, sha256Stream } from '../helpers/hash.js';

// Not a multiple of the read size: the last read is short.
const SIZE = 3 * 1024 * 1024 + 12_345;

function payloadFile(t: TestContext): { path: string; data: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-stdin-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = randomFillSync(Buffer.alloc(SIZE));
  const path = join(dir, 'payload');
  writeFileSync(path, data);
  return { path, data };
}

test('connect mode sends a file given on stdin whole, then FIN', async (t) => {
  const { path, data } = payloadFile(t);
  const server = createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const stdin = openSync(path, 'r');
  const child = spawnCli(['127.0.0.1', String(port)], { stdio: [stdin, 'pipe', 'pipe'] });
  closeSync(stdin);
  const [socket] = (await accepted) as [Socket];
  server.close();
  const received = await sha256Stream(socket);
  socket.end();
  const result = await finished(child);
  assert.deepEqual(received, { sha256: sha256(data), bytes: SIZE });
  assert.equal(result.code, 0, result.stderr);
});

test('listen mode sends a file given on stdin to its client', async (t) => {
  const { path, data } = payloadFile(t);
  const stdin = openSync(path, 'r');
  const child = spawnCli(['-lv', '127.0.0.1', '0'], { stdio: [stdin, 'pipe', 'pipe'] });
  closeSync(stdin);
  const done = finished(child);
  const [, port] = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const socket = new Socket({ allowHalfOpen: true });
  socket.connect(Number(port), '127.0.0.1');
  const received = await sha256Stream(socket);
  socket.end();
  const result = await done;
  assert.deepEqual(received, { sha256: sha256(data), bytes: SIZE });
  assert.equal(result.code, 0, result.stderr);
});
