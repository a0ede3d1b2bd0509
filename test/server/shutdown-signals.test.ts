// A terminal's Ctrl-C reaches the whole process group: serve() with workers turns it into one
// graceful shutdown coordinated by the primary, and handlers see info.closing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { waitForLine } from '../helpers/child.js';

const HOLD = new URL('../fixtures/handlers/hold-until-closing.js', import.meta.url).href;
const SOCKCAT = new URL('../../src/index.js', import.meta.url).href;

for (const concurrency of ['{ processes: 2 }', '{ threads: 2 }']) {
  test(`SIGINT to the process group: one graceful shutdown with ${concurrency}`, async (t) => {
    const script = `
      import { serve } from ${JSON.stringify(SOCKCAT)};
      const server = await serve({
        listen: '127.0.0.1:0',
        concurrency: ${concurrency},
        handler: new URL(${JSON.stringify(HOLD)}),
        gracePeriod: 60000,
      });
      console.log('listening', server.address().port);
    `;
    // A file, not `node -e`: cluster workers inherit the primary's execArgv.
    const dir = mkdtempSync(join(tmpdir(), 'sockcat-serve-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'primary.mjs');
    writeFileSync(file, script);
    // Its own process group, as a shell job is: the test plays the terminal's Ctrl-C.
    const primary = spawn(process.execPath, [file], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (primary.exitCode === null && primary.signalCode === null)
        process.kill(-primary.pid!, 'SIGKILL');
    });
    let stderr = '';
    primary.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = Number((await waitForLine(primary.stdout, /listening (\d+)/))[1]);
    const client = await connect({ host: '127.0.0.1', port });
    assert.match((await client.recvLine()).toString(), /^hello from (process|thread) \d\n$/);
    const exited = once(primary, 'exit');
    process.kill(-primary.pid!, 'SIGINT');
    // The handler saw the shutdown begin, said goodbye, and its connection closed gracefully.
    assert.equal((await client.recvLine()).toString(), 'bye\n');
    assert.equal((await client.recvAll()).length, 0);
    await client.close();
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal, stderr }, { code: 0, signal: null, stderr: '' });
  });
}
