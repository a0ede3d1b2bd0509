// docs/eof.md row 2 with a terminal on stdin: when the peer closes, the session ends at once.
// Run in-process with a stdin that says it is a TTY.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/run.js';

test('connect: the peer closes while a terminal stdin is open: exit 0 at once', async (t) => {
  const server = createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  server.once('connection', (socket: Socket) => socket.end('bye from server\n'));

  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await main(['127.0.0.1', String(port)], { stdin, stdout, stderr, env: {} });
  assert.equal(code, 0);
  assert.equal(Buffer.concat(out).toString(), 'bye from server\n');
  assert.equal(stdin.readableEnded, false, 'stdin was never at EOF');
});
