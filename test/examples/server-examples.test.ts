// The serve() examples, run as a user would: spawned, on port 0, stopped with SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { finished, stop } from '../helpers/child.js';
import { EXAMPLES } from '../helpers/paths.js';

interface Example {
  child: ChildProcess;
  /** Resolves with the first match in everything printed on stdout so far or later. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
}

function example(name: string, args: string[]): Example {
  const child = spawn(process.execPath, [join(EXAMPLES, `${name}.js`), ...args], { stdio: 'pipe' });
  let text = '';
  const waiting: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiting.splice(0)) check();
  });
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match) resolve(match);
        else waiting.push(check);
      };
      check();
    });
  return { child, printed };
}

async function portOf(server: Example): Promise<number> {
  return Number((await server.printed(/listening on port (\d+)/))[1]);
}

const MODES: Array<[string, string[]]> = [
  ['inline', []],
  ['threads', ['--threads', '2']],
  ['processes', ['--processes', '2']],
];

for (const [mode, flags] of MODES) {
  test(`echo-server (${mode}) echoes and stops cleanly on SIGTERM`, {
    timeout: 30_000,
  }, async (t) => {
    const server = example('echo-server', ['0', ...flags]);
    const { child } = server;
    t.after(() => stop(child));
    const port = await portOf(server);
    const tube = await connect(`127.0.0.1:${port}`);
    await tube.send('echo me');
    await tube.shutdown('send');
    assert.equal((await tube.recvAll()).toString(), 'echo me');
    tube.destroy();
    const done = finished(child);
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  });

  test(`greeting-server-many (${mode}) greets several clients`, { timeout: 30_000 }, async (t) => {
    const server = example('greeting-server-many', ['--port', '0', ...flags]);
    const { child } = server;
    t.after(() => stop(child));
    const port = await portOf(server);
    for (let i = 0; i < 3; i++) {
      const tube = await connect(`127.0.0.1:${port}`);
      await tube.send(`hello ${i}\n`);
      assert.equal((await tube.recvAll()).toString('utf8'), '你好客户端\n\r');
      tube.destroy();
    }
    // Each worker's lines reach stdout in its own order, but two threads' or processes' lines
    // may interleave: wait for every line, not for one worker's two lines side by side.
    const connected = /client connected 127\.0\.0\.1:\d+ \((main|thread \d|process \d)\)\n/;
    await server.printed(new RegExp(`(?:${connected.source}[\\s\\S]*){3}`));
    for (let i = 0; i < 3; i++) await server.printed(new RegExp(`^hello ${i}$`, 'm'));
    const done = finished(child);
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  });
}

test('udp-echo-server returns each datagram to its sender', async (t) => {
  const server = example('udp-echo-server', ['0']);
  t.after(() => stop(server.child));
  const port = await portOf(server);
  const client = createSocket('udp4');
  t.after(() => client.close());
  client.send('datagram', port, '127.0.0.1');
  const [message] = (await once(client, 'message')) as [Buffer];
  assert.equal(message.toString(), 'datagram');
});

test('chat-server relays lines between clients, escaping control characters', async (t) => {
  const server = example('chat-server', ['0']);
  t.after(() => stop(server.child));
  const port = await portOf(server);
  const alice = await connect(`127.0.0.1:${port}`);
  const bob = await connect(`127.0.0.1:${port}`);
  t.after(() => {
    alice.destroy();
    bob.destroy();
  });
  assert.match((await alice.recvLine({ drop: true })).toString(), /^<user\d+> joined$/);
  await bob.sendLine('hi \x1b[31malice');
  assert.match((await alice.recvLine({ drop: true })).toString(), /^<user\d+> hi \?\[31malice$/);
});
