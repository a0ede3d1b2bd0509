// The native data path through real pipes, as a shell sets them up (`cat file | sockcat`, `sockcat
// -l | cat > file`): splice(2) on both sides, and each mechanism forced by SOCKCAT_NATIVE_COPY.
// Bytes must arrive whole and in order, and -v must name the mechanism used.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { sha256Stream } from '../helpers/hash.js';
import { BIN } from '../helpers/paths.js';

const SIZE = 16 * 1024 * 1024 + 4321;

async function digest(path: string): Promise<string> {
  const { sha256, bytes } = await sha256Stream(createReadStream(path));
  return `${bytes} bytes, sha256 ${sha256}`;
}

const CASES = [
  { copy: undefined, sends: /stdin to socket by splice/, receives: /socket to stdout by splice/ },
  { copy: 'rw', sends: /stdin to socket by rw/, receives: /socket to stdout by rw/ },
] as const;

for (const { copy, sends, receives } of CASES) {
  test(`pipes on both sides, ${copy ?? 'auto'}: every byte arrives`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sockcat-data-path-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const input = join(dir, 'in');
    const output = join(dir, 'out');
    writeFileSync(input, randomFillSync(Buffer.alloc(SIZE)));
    const env = { ...process.env, ...(copy ? { SOCKCAT_NATIVE_COPY: copy } : {}) };
    // The receiver's stdout is a pipe into cat; --recv-only: its stdin is not read.
    const receiver = spawn(
      '/bin/sh',
      [
        '-c',
        'exec "$0" "$1" -lv --recv-only 127.0.0.1 0 | cat > "$2"',
        process.execPath,
        BIN,
        output,
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    t.after(() => stop(receiver));
    const received = finished(receiver);
    const [, port] = await waitForLine(receiver.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const sender = spawn(
      '/bin/sh',
      ['-c', 'cat "$2" | exec "$0" "$1" -v 127.0.0.1 "$3"', process.execPath, BIN, input, port!],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    t.after(() => stop(sender));
    const [sent, got] = await Promise.all([finished(sender), received]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(got.code, 0, got.stderr);
    assert.match(sent.stderr, sends);
    assert.match(got.stderr, receives);
    assert.equal(await digest(output), await digest(input));
  });
}

test('a file on stdin goes by sendfile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-data-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in');
  const output = join(dir, 'out');
  writeFileSync(input, randomFillSync(Buffer.alloc(SIZE)));
  const receiver = spawn(
    '/bin/sh',
    ['-c', 'exec "$0" "$1" -lv --recv-only 127.0.0.1 0 > "$2"', process.execPath, BIN, output],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.after(() => stop(receiver));
  const received = finished(receiver);
  const [, port] = await waitForLine(receiver.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const sender = spawn(
    '/bin/sh',
    ['-c', 'exec "$0" "$1" -v 127.0.0.1 "$3" < "$2"', process.execPath, BIN, input, port!],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.after(() => stop(sender));
  const [sent, got] = await Promise.all([finished(sender), received]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(got.code, 0, got.stderr);
  assert.match(sent.stderr, /stdin to socket by sendfile/);
  assert.match(got.stderr, /socket to stdout by splice-pipe/);
  assert.equal(await digest(output), await digest(input));
});

test('-o is a tap: the JavaScript path, and -v says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-data-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawnCli(['-lv', '-o', join(dir, 'log'), '127.0.0.1', '0']);
  t.after(() => stop(child));
  const done = finished(child);
  const [, port] = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const client = spawnCli(['127.0.0.1', port!]);
  t.after(() => stop(client));
  const clientDone = finished(client);
  client.stdin!.end('logged\n');
  // The listener's FIN would end the client (ncat 7.96's rule): it comes once the data is in.
  await waitForLine(child.stdout!, /logged\n/);
  child.stdin!.end();
  assert.equal((await clientDone).code, 0);
  const result = await done;
  assert.match(result.stderr, /Data path: JavaScript \(a session log sees the bytes\)\./);
  assert.equal(result.stdout.toString(), 'logged\n');
});
