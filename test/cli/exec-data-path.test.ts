// -e/-c on both data paths: the addon's copies between the connection and the child's pipes
// (the default when it is built) and JavaScript's (SOCKCAT_NO_NATIVE=1). Each end-of-file row of
// docs/eof.md's "Exec" table runs on both, and -v names the path taken.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { alive, finished, spawnCli, stop, waitForLine } from '../helpers/child.js';

const PATHS = [
  { name: 'native', env: {}, line: /Data path: native: child to socket by \w+/ },
  {
    name: 'js',
    env: { SOCKCAT_NO_NATIVE: '1' },
    line: /Data path: JavaScript \(SOCKCAT_NO_NATIVE=1\)/,
  },
] as const;
type DataPath = (typeof PATHS)[number];

async function startListener(t: TestContext, path: DataPath, args: string[]) {
  const child = spawnCli(['-lv', ...args, '127.0.0.1', '0'], {
    env: { ...process.env, ...path.env },
  });
  t.after(() => stop(child));
  const done = finished(child);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const tube = await connect(`127.0.0.1:${match[1]}`);
  t.after(() => tube.destroy());
  await waitForLine(child.stderr!, path.line);
  return { child, done, tube };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

for (const path of PATHS) {
  test(`[${path.name}] -e /bin/cat: 8 MiB each way arrive intact, then FIN both ways, exit 0`, async (t) => {
    const { done, tube } = await startListener(t, path, ['-e', '/bin/cat']);
    const data = randomFillSync(Buffer.alloc(8 * 1024 * 1024 + 17));
    const echoed = tube.recvAll();
    await tube.send(data);
    await tube.shutdown('send');
    assert.equal(sha256(await echoed), sha256(data));
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
  });

  test(`[${path.name}] the peer's FIN closes the child's stdin; its output still comes back`, async (t) => {
    const { done, tube } = await startListener(t, path, ['-c', 'wc -c']);
    await tube.send('hello world\n');
    await tube.shutdown('send');
    assert.equal((await tube.recvAll()).toString().trim(), '12');
    assert.equal((await done).code, 0);
  });

  test(`[${path.name}] the child exits: FIN, and what the peer sends after is discarded, no reset`, async (t) => {
    const { done, tube } = await startListener(t, path, ['-c', 'echo bye']);
    assert.equal((await tube.recvLine()).toString(), 'bye\n');
    // The child is gone (or going): these bytes are read and dropped, the close stays graceful.
    await tube.send(Buffer.alloc(256 * 1024, 'x'));
    assert.equal((await tube.recvAll()).length, 0);
    await tube.shutdown('send');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
  });

  test(`[${path.name}] the child closes its stdout and runs on: FIN at once, stdin still reaches it`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sockcat-exec-path-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'got');
    const { done, tube } = await startListener(t, path, [
      '-c',
      `echo hi; exec >&-; cat > '${file}'`,
    ]);
    // FIN while the child still runs, reading.
    assert.equal((await tube.recvAll()).toString(), 'hi\n');
    await tube.send('after the FIN\n');
    await tube.shutdown('send');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readFile(file, 'utf8'), 'after the FIN\n');
  });

  test(`[${path.name}] a peer reset ends the child (SIGTERM to its group), reaped, exit 0`, async (t) => {
    const { child, done, tube } = await startListener(t, path, [
      '--json',
      '-c',
      'echo started; exec /bin/sleep 1000',
    ]);
    assert.equal((await tube.recvLine()).toString(), 'started\n');
    const [, pid] = await waitForLine(child.stderr!, /"event":"exec"[^\n]*"pid":(\d+)/);
    tube.reset();
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(alive(Number(pid)), false);
    assert.match(result.stderr, /"event":"exited"[^\n]*"signal":"SIGTERM"/);
    assert.match(result.stderr, /"event":"closed"[^\n]*"reason":"reset"[^\n]*"sent":8,/);
  });

  test(`[${path.name}] -i: an idle connection ends the child; exit 1 with the idle message`, async (t) => {
    const { done, tube } = await startListener(t, path, [
      '-i',
      '200ms',
      '-c',
      'exec /bin/sleep 1000',
    ]);
    assert.equal((await tube.recvAll()).length, 0);
    const result = await done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /idle timeout expired \(200 ms\)/);
  });
}

test('-o is a tap: -e takes the JavaScript path, and -v says why', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-exec-path-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  const tap = {
    name: 'js',
    env: {},
    line: /Data path: JavaScript \(a session log sees the bytes\)/,
  };
  const { done, tube } = await startListener(t, tap as unknown as DataPath, [
    '-o',
    log,
    '-e',
    '/bin/cat',
  ]);
  await tube.send('logged\n');
  await tube.shutdown('send');
  assert.equal((await tube.recvAll()).toString(), 'logged\n');
  assert.equal((await done).code, 0);
  assert.equal(await readFile(log, 'utf8'), 'logged\nlogged\n');
});
