// -U --seqpacket: Unix SOCK_SEQPACKET in the CLI, with the stream end-of-file rules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { connectSeqpacket, listenSeqpacket } from '../../src/transports/seqpacket.js';
import { feedStdin, finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

const skip = loadNative() ? false : 'the native addon is not built';
const unique = (what: string) => `@sockcat-cli-seq-${what}-${process.pid}`;

test('connect mode: each stdin read is one message; stdin EOF is the end of the stream', {
  skip,
}, async (t) => {
  const path = unique('connect');
  const listener = await listenSeqpacket(path);
  t.after(() => listener.close());
  const child = spawnCli(['-U', '--seqpacket', path]);
  t.after(() => stop(child));
  const done = finished(child);
  const server = await listener.accept();
  t.after(() => server.close());
  child.stdin!.write('first');
  assert.equal((await server.receive()).data.toString(), 'first');
  child.stdin!.write('second');
  assert.equal((await server.receive()).data.toString(), 'second');
  await server.send('reply one');
  await server.send('reply two');
  await waitForLine(child.stdout!, /reply onereply two/);
  child.stdin!.end();
  const got: string[] = [];
  for await (const message of server) got.push(message.data.toString());
  assert.deepEqual(got, []);
  server.shutdown();
  const { code, stdout } = await done;
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'reply onereply two');
});

test('listen mode: one client, its messages to stdout; the peer end ends the session', {
  skip,
}, async (t) => {
  const path = unique('listen');
  const child = spawnCli(['-v', '-l', '-U', '--seqpacket', path]);
  t.after(() => stop(child));
  const done = finished(child);
  await waitForLine(child.stderr!, /Listening on /);
  const client = await connectSeqpacket(path);
  t.after(() => client.close());
  await client.send('hello');
  await waitForLine(child.stdout!, /hello/);
  child.stdin!.write('to the client');
  assert.equal((await client.receive()).data.toString(), 'to the client');
  client.shutdown();
  const { code, stdout } = await done;
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'hello');
});

test('python3 SOCK_SEQPACKET server answers sockcat --seqpacket', { skip }, async (t) => {
  const python = requirePeer(t, 'python3');
  if (!python) return;
  const path = unique('python');
  const server = spawn(python, [
    '-c',
    `import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind('\\0' + ${JSON.stringify(path.slice(1))})
s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
m = c.recv(100)
c.send(b'got ' + str(len(m)).encode())
c.close()`,
  ]);
  t.after(() => server.kill());
  await waitForLine(server.stdout!, /ready/);
  const child = spawnCli(['-U', '--seqpacket', path]);
  const done = finished(child);
  feedStdin(child, 'twelve bytes');
  const { code, stdout } = await done;
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'got 12');
});

test('--seqpacket needs -U, and not -u, -z or -k', async () => {
  for (const [argv, message] of [
    [['--seqpacket', 'h', '1'], '--seqpacket is a Unix socket type: it needs -U'],
    [['-U', '-u', '--seqpacket', '/tmp/x'], '--seqpacket cannot be used with -u'],
    [
      ['-lk', '-U', '--seqpacket', '@x'],
      '-k, --keep-open cannot be used with -U --seqpacket -l -k: a seqpacket listener serves one client (many at once are not built yet)',
    ],
  ] as const) {
    const { code, stderr } = await runCli(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.equal(stderr, `sockcat: ${message}\n`);
  }
});
