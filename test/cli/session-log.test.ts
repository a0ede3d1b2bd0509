// -o, -x, --append-output and -d: session data written to files as ncat does.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatHexDump } from '../../src/relay/hexdump.js';
import { runCli } from '../helpers/child.js';

/** A peer that says hello, echoes what it gets, and closes at the client's EOF. */
async function helloEcho(t: { after(fn: () => unknown): void }): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    socket.write('hello\n');
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

function tempDir(t: { after(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('-o records both directions raw; -x records them as a hex dump', async (t) => {
  const port = await helloEcho(t);
  const dir = tempDir(t);
  const raw = join(dir, 'session.raw');
  const hex = join(dir, 'session.hex');
  const { code, stdout } = await runCli(
    ['-o', raw, '-x', hex, '127.0.0.1', String(port)],
    'ping\n',
  );
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'hello\nping\n');
  const recorded = readFileSync(raw).toString();
  // Both directions, in the order they happened; chunking may vary, content may not.
  assert.equal([...recorded].sort().join(''), [...'hello\nping\nping\n'].sort().join(''));
  const dump = readFileSync(hex, 'utf8');
  assert.ok(dump.includes(formatHexDump(Buffer.from('ping\n'))), dump);
});

test('--append-output appends; without it the file is replaced', async (t) => {
  const port = await helloEcho(t);
  const raw = join(tempDir(t), 'session.raw');
  writeFileSync(raw, 'previous\n');
  await runCli(['-o', raw, '--append-output', '127.0.0.1', String(port)], '');
  assert.equal(readFileSync(raw, 'utf8'), 'previous\nhello\n');
  await runCli(['-o', raw, '127.0.0.1', String(port)], '');
  assert.equal(readFileSync(raw, 'utf8'), 'hello\n');
});

test('an -o file that cannot be opened fails before connecting (exit 2)', async () => {
  const { code, stderr } = await runCli(['-o', '/nonexistent-dir/x', '127.0.0.1', '1']);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^sockcat: cannot open -o file "\/nonexistent-dir\/x": No such file or directory$/m,
  );
});

test('-d waits between chunks sent', async (t) => {
  const port = await helloEcho(t);
  const { code, stdout } = await runCli(['-d', '1ms', '127.0.0.1', String(port)], 'a\nb\n');
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'hello\na\nb\n');
});
