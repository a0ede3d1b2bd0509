// -e and -c with real peers: nc.openbsd and ncat as clients of `sockcat -l -c`, ncat as the
// listener that `sockcat -e` connects to, and ncat 7.93's own -c giving the same environment.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { feedStdin, finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

/** `sockcat -l 127.0.0.1 0 ARGS`; resolves with its port once it listens. */
async function sockcatListener(t: TestContext, args: string[]) {
  const child = spawnCli(['-lv', '127.0.0.1', '0', ...args]);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

/** Run a client program with `input` on stdin to completion. */
async function runClient(t: TestContext, command: string, args: string[], input: string) {
  const child = spawn(command, args, { stdio: 'pipe' });
  t.after(() => stop(child));
  const done = finished(child);
  feedStdin(child, input);
  return done;
}

for (const peer of ['nc.openbsd', 'ncat'] as const) {
  test(`${peer} as the client of sockcat -l -c 'wc -c': its EOF reaches the child`, async (t) => {
    const path = requirePeer(t, peer);
    if (path === undefined) return;
    const { child, port } = await sockcatListener(t, ['-c', 'wc -c']);
    const server = finished(child);
    // nc.openbsd sends FIN at stdin EOF only with -N; ncat always does.
    const args =
      peer === 'nc.openbsd' ? ['-N', '127.0.0.1', String(port)] : ['127.0.0.1', String(port)];
    const result = await runClient(t, path, args, 'hello world\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString().trim(), '12');
    const served = await server;
    assert.equal(served.code, 0, served.stderr);
    assert.equal(served.stdout.length, 0);
  });
}

test('sockcat -e /bin/cat connects to ncat -l: what ncat sends comes back', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (ncat === undefined) return;
  const listener = await startListeningPeer(t, {
    command: ncat,
    args: ['-lv', '127.0.0.1', '0'],
    ready: /Listening on/,
    reportsPort: false,
  });
  const listenerDone = finished(listener.child);
  listener.child.stdin!.end('through the child\n');
  const client = spawn(
    process.execPath,
    [BIN, '-e', '/bin/cat', '127.0.0.1', String(listener.port)],
    {
      stdio: 'pipe',
    },
  );
  t.after(() => stop(client));
  const clientDone = finished(client);
  feedStdin(client, 'not sent: stdin is not relayed with -e\n');
  const received = await listenerDone;
  assert.equal(received.stdout.toString(), 'through the child\n');
  const result = await clientDone;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.length, 0);
});

test('ncat 7.93 and sockcat give -c children the same NCAT_* variables', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  const nc = requirePeer(t, 'nc.openbsd');
  if (ncat === undefined || nc === undefined) return;
  const script =
    'echo "$NCAT_REMOTE_ADDR $NCAT_LOCAL_ADDR $NCAT_PROTO"; [ "$NCAT_LOCAL_PORT" -gt 0 ] && [ "$NCAT_REMOTE_PORT" -gt 0 ] && echo ports';
  const outputs: string[] = [];
  for (const [command, prefix, reportsPort] of [
    [ncat, [], false],
    [process.execPath, [BIN], true],
  ] as const) {
    const listener = await startListeningPeer(t, {
      command,
      args: [...prefix, '-lv', '127.0.0.1', '0', '-c', script],
      ready: reportsPort ? /Listening on 127\.0\.0\.1:(\d+)/ : /Listening on/,
      reportsPort,
    });
    // No -N: the client sends no FIN (ncat would stop relaying the child's output at one).
    const result = await runClient(t, nc, ['127.0.0.1', String(listener.port)], '');
    assert.equal(result.code, 0, result.stderr);
    outputs.push(result.stdout.toString());
  }
  assert.equal(outputs[0], '127.0.0.1 127.0.0.1 TCP\nports\n', 'ncat');
  assert.equal(outputs[1], outputs[0], 'sockcat');
});
