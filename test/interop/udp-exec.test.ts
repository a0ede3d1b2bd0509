// -u with -e/-c: a child for the UDP peer, in connect mode and for the first sender of -l, as
// ncat 7.93 runs one (it was refused). Checked against ncat as the peer, and with a node:dgram one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';
import { udpPeer } from '../helpers/udp-peer.js';

test('sockcat -u -c HOST PORT: the child talks with the peer; NCAT_PROTO is UDP', async (t) => {
  const peer = await udpPeer(t);
  const env = await runCli([
    '-u',
    '-c',
    'echo "$NCAT_PROTO $SOCKCAT_PROTO $NCAT_REMOTE_PORT"',
    '127.0.0.1',
    String(peer.port),
  ]);
  assert.equal(env.code, 0, env.stderr);
  const first = await peer.next();
  assert.equal(first.data.toString(), `UDP UDP ${peer.port}\n`);
  // UDP has no handshake: the child speaks first, so that the peer learns where to answer.
  const greeter = spawnCli(['-u', '-c', 'echo ready; exec cat', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(greeter));
  const ready = await peer.next();
  assert.equal(ready.data.toString(), 'ready\n');
  await peer.send('ping\n', ready.from.port);
  const echoed = await peer.next();
  assert.equal(echoed.data.toString(), 'ping\n');
  assert.equal(echoed.from.port, ready.from.port);
});

test('ncat -u client to sockcat -u -l -e /bin/cat: its datagrams come back from the child', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const server = spawnCli(['-v', '-u', '-l', '-e', '/bin/cat', '127.0.0.1', '0']);
  t.after(() => stop(server));
  const port = (await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]!;
  const client = spawn(ncat, ['-u', '127.0.0.1', port]);
  t.after(() => stop(client));
  client.stdin.write('first\n');
  await waitForLine(client.stdout, /first\n/);
  client.stdin.write('second\n');
  await waitForLine(client.stdout, /first\nsecond\n/);
  await waitForLine(server.stderr!, /Connection from 127\.0\.0\.1:\d+\./);
});

test('sockcat -u -l -c: the child exits, the session ends with status 0', async (t) => {
  const server = spawnCli([
    '-v',
    '-u',
    '-l',
    '-c',
    'read line; echo "got $line"',
    '127.0.0.1',
    '0',
  ]);
  t.after(() => stop(server));
  const done = finished(server);
  const port = Number((await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const peer = await udpPeer(t);
  await peer.send('hello\n', port);
  const answer = await peer.next();
  assert.equal(answer.data.toString(), 'got hello\n');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
});

test('-u -l -k -e (a child per peer) and -U -u -e are refused by name, for now', async () => {
  for (const [argv, message] of [
    [
      ['-u', '-l', '-k', '-e', '/bin/cat', '1'],
      '-e, --exec cannot be used with -u -l -k -e: a command for each UDP peer (-u -l -k) is not built yet',
    ],
    [
      ['-U', '-u', '-c', 'cat', '/tmp/x'],
      '-c, --sh-exec cannot be used with -U -u -c: a command over Unix datagram sockets is not built yet',
    ],
  ] as const) {
    const result = await runCli(argv);
    assert.equal(result.code, 2, argv.join(' '));
    assert.equal(result.stderr, `sockcat: ${message}\n`);
  }
});
