import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serve } from '../../src/server/serve.js';
import type { Server } from '../../src/server/types.js';
import type { TargetInput } from '../../src/transports/target.js';
import { connect } from '../../src/transports/tcp-connect.js';

/**
 * A guard against a hang, not a timing check: each test starts node workers (and "replaced"
 * starts two in turn), which took 13.7 s at a load average of 17 on two cores against 30 s.
 */
const HANG_GUARD = { timeout: 120_000 };

const ECHO = new URL('../fixtures/handlers/echo.js', import.meta.url);
const CRASH = new URL('../fixtures/handlers/crash-once.js', import.meta.url);

/** Open connections until every worker has served one (bounded), and echo through each. */
async function workersSeen(
  server: Server,
  target: (port: number) => TargetInput,
  expected: number,
) {
  const seen = new Set<string>();
  const tubes = [];
  for (let i = 0; i < 200 && seen.size < expected; i++) {
    const tube = await connect(target(server.address().port));
    tubes.push(tube);
    const greeting = (await tube.recvLine({ drop: true })).toString();
    seen.add(greeting.split(' ').slice(0, 2).join(' '));
    await tube.send(`ping ${i}`);
    assert.equal((await tube.recvExactly(`ping ${i}`.length)).toString(), `ping ${i}`);
  }
  for (const tube of tubes) tube.destroy();
  return seen;
}

for (const kind of ['threads', 'processes'] as const) {
  test(`${kind}: every worker serves connections on one port`, HANG_GUARD, async (t) => {
    const server = await serve({
      listen: '127.0.0.1:0',
      handler: ECHO,
      concurrency: kind === 'threads' ? { threads: 2 } : { processes: 2 },
    });
    t.after(() => server.close({ gracePeriod: 100 }));
    assert.ok(server.address().port > 0);
    const seen = await workersSeen(server, (port) => `127.0.0.1:${port}`, 2);
    const noun = kind === 'threads' ? 'thread' : 'process';
    assert.deepEqual([...seen].sort(), [`${noun} 1`, `${noun} 2`]);
  });

  test(`${kind}: a crashed worker is replaced`, HANG_GUARD, async (t) => {
    let replacedReady!: () => void;
    const replaced = new Promise<void>((resolve) => {
      replacedReady = resolve;
    });
    const ready: string[] = [];
    const server = await serve({
      listen: '127.0.0.1:0',
      handler: CRASH,
      concurrency: kind === 'threads' ? { threads: 1 } : { processes: 1 },
      onWorkerReady: ({ worker, replaced }) => {
        ready.push(`${worker}${replaced ? ' (replaced)' : ''}`);
        if (replaced) replacedReady();
      },
    });
    t.after(() => server.close({ gracePeriod: 100 }));
    const noun = kind === 'threads' ? 'thread' : 'process';
    assert.deepEqual(ready, [`${noun} 1`]);
    const port = server.address().port;
    const victim = await connect(`127.0.0.1:${port}`);
    await victim.send('crash');
    await victim.recvAll().catch(() => Buffer.alloc(0));
    victim.destroy();
    // The replacement listens on the same port: wait until it says so, then it serves at once.
    await replaced;
    assert.deepEqual(ready, [`${noun} 1`, `${noun} 1 (replaced)`]);
    const tube = await connect(`127.0.0.1:${port}`);
    await tube.send('still here');
    assert.equal((await tube.recvExactly(10)).toString(), 'still here');
    tube.destroy();
  });
}

test('processes: Unix socket servers share one path', HANG_GUARD, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'echo.sock');
  const server = await serve({ listen: { path }, handler: ECHO, concurrency: { processes: 2 } });
  t.after(() => server.close({ gracePeriod: 100 }));
  assert.equal(server.address().address, path);
  const tube = await connect({ path });
  assert.match((await tube.recvLine({ drop: true })).toString(), /^process [12] /);
  tube.destroy();
});

test('threads refuse Unix sockets with a clear message', async () => {
  await assert.rejects(
    serve({ listen: { path: '/tmp/x.sock' }, handler: ECHO, concurrency: { threads: 2 } }),
    {
      code: 'SOCKCAT_UNSUPPORTED',
    },
  );
});

test('a handler module without a handler function fails before listening', async () => {
  await assert.rejects(
    serve({
      listen: '127.0.0.1:0',
      handler: new URL('../fixtures/handlers/not-a-handler.js', import.meta.url),
    }),
    { code: 'SOCKCAT_ARGS', message: /must export a function as "handler"/ },
  );
});
