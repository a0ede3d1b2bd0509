// Real clients (ncat 7.93, OpenBSD nc) against `sockcat --broker` / `--chat`: each client's
// bytes reach every other client and not itself, chat lines carry names and escaped controls.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

async function startBroker(t: TestContext, mode: '--broker' | '--chat') {
  const child = spawnCli(['-v', mode, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { broker: child, port: Number(match[1]) };
}

function client(t: TestContext, command: string, port: number): ChildProcess {
  const args = command.endsWith('nc.openbsd')
    ? ['-N', '127.0.0.1', `${port}`]
    : ['127.0.0.1', `${port}`];
  const child = spawn(command, args, { stdio: 'pipe' });
  child.stdin!.on('error', () => {});
  t.after(() => stop(child));
  return child;
}

function connections(broker: ChildProcess, n: number) {
  return waitForLine(broker.stderr!, new RegExp(`^(?:[\\s\\S]*?Connection from ){${n}}`));
}

test('--broker with ncat and nc.openbsd clients: fan-out to all others, not back to the sender', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  const nc = requirePeer(t, 'nc.openbsd');
  if (!ncat || !nc) return;
  const { broker, port } = await startBroker(t, '--broker');
  const x = client(t, ncat, port);
  await connections(broker, 1);
  const y = client(t, nc, port);
  await connections(broker, 2);
  const z = client(t, ncat, port);
  await connections(broker, 3);
  x.stdin!.write('from ncat\n');
  await waitForLine(y.stdout!, /from ncat\n/);
  await waitForLine(z.stdout!, /from ncat\n/);
  y.stdin!.write('from nc\n');
  await waitForLine(x.stdout!, /from nc\n/);
  await waitForLine(z.stdout!, /from ncat\nfrom nc\n/);
  broker.stdin!.write('from the broker\n');
  for (const peer of [x, y, z]) await waitForLine(peer.stdout!, /from the broker\n/);
  // ncat x ends its input: FIN; the broker closes x, which then exits 0 with only others' bytes.
  const done = finished(x);
  x.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0);
  const [xOut] = await waitForLine(x.stdout!, /[\s\S]*/);
  assert.equal(xOut, 'from nc\nfrom the broker\n');
});

test('--chat with ncat clients: names, announcements, escape sequences neutralised', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const { broker, port } = await startBroker(t, '--chat');
  const x = client(t, ncat, port);
  await waitForLine(x.stdout!, /already connected: nobody\.\n/);
  const y = client(t, ncat, port);
  await waitForLine(
    y.stdout!,
    /^<announce> 127\.0\.0\.1 is connected as <user2>\.\n<announce> already connected: 127\.0\.0\.1 as <user1>\.\n$/,
  );
  await connections(broker, 2);
  x.stdin!.write('\x1b[2J\x07hello\n');
  await waitForLine(y.stdout!, /<user1> \\033\[2J\\007hello\n$/);
  x.stdin!.end();
  await waitForLine(y.stdout!, /<announce> <user1> is disconnected\.\n$/);
});
