// Unix datagram and seqpacket sockets against real peers: socat, nc.openbsd -U -u, python3.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { connectSeqpacket, listenSeqpacket } from '../../src/transports/seqpacket.js';
import { openUnixDatagram } from '../../src/transports/unix-datagram.js';
import { feedStdin, finished, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

const skip = loadNative() ? false : 'the native addon is not built';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-unixdg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('socat UNIX-SENDTO reaches a sockcat datagram socket; sockcat reaches socat UNIX-RECV', {
  skip,
}, async (t) => {
  const socat = requirePeer(t, 'socat');
  if (!socat) return;
  const dir = await tempDir(t);
  const ours = await openUnixDatagram({ path: join(dir, 'ours.sock') });
  t.after(() => ours.close());
  const sender = spawn(socat, ['-u', 'STDIN', `UNIX-SENDTO:${join(dir, 'ours.sock')}`]);
  const sent = finished(sender);
  feedStdin(sender, 'from socat');
  const message = await ours.receive();
  assert.equal(message.data.toString(), 'from socat');
  assert.equal((await sent).code, 0);

  const receiver = spawn(socat, [
    '-d',
    '-d',
    '-u',
    `UNIX-RECV:${join(dir, 'theirs.sock')}`,
    'STDOUT',
  ]);
  const received = finished(receiver);
  t.after(() => receiver.kill());
  // Its socket is bound before the transfer loop starts.
  await waitForLine(receiver.stderr!, /starting data transfer loop/);
  await ours.send('from sockcat', { path: join(dir, 'theirs.sock') });
  const out = await waitForLine(receiver.stdout!, /from sockcat/);
  assert.equal(out[0], 'from sockcat');
  receiver.kill();
  await received;
});

test('nc.openbsd -U -u: a client whose replies come back to its own bound socket', {
  skip,
}, async (t) => {
  const nc = requirePeer(t, 'nc.openbsd');
  if (!nc) return;
  const dir = await tempDir(t);
  const server = await openUnixDatagram({ path: join(dir, 'server.sock') });
  t.after(() => server.close());
  const client = spawn(nc, ['-U', '-u', join(dir, 'server.sock')]);
  t.after(() => client.kill());
  client.stdin!.write('ping\n');
  const message = await server.receive();
  assert.equal(message.data.toString(), 'ping\n');
  // nc binds its socket to a temporary path so that it can receive replies.
  assert.ok(message.from && 'path' in message.from && message.from.path !== '');
  await server.send('pong\n', message.from);
  await waitForLine(client.stdout!, /pong\n/);
  client.kill();
});

test('python3 SOCK_SEQPACKET: boundaries kept both ways, end of stream seen', {
  skip,
}, async (t) => {
  const python = requirePeer(t, 'python3');
  if (!python) return;
  const path = `@sockcat-py-seq-${process.pid}`;
  // A python echo server that prefixes each message and reports the lengths it saw.
  const server = spawn(python, [
    '-c',
    `import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind('\\0' + ${JSON.stringify(path.slice(1))})
s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
while True:
    m = c.recv(65536)
    if not m:
        break
    print(len(m), flush=True)
    c.send(b'py:' + m)
c.close()`,
  ]);
  const serverDone = finished(server);
  t.after(() => server.kill());
  await waitForLine(server.stdout!, /ready/);
  const client = await connectSeqpacket(path);
  t.after(() => client.close());
  for (const text of ['a', 'bb', 'ccc']) {
    await client.send(text);
    assert.equal((await client.receive()).data.toString(), `py:${text}`);
  }
  client.shutdown();
  const { code, stdout } = await serverDone;
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'ready\n1\n2\n3\n');

  // And the other way round: a python client against a sockcat seqpacket listener.
  const listenPath = `@sockcat-seq-listen-${process.pid}`;
  const listener = await listenSeqpacket(listenPath);
  t.after(() => listener.close());
  const pyClient = spawn(python, [
    '-c',
    `import socket
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect('\\0' + ${JSON.stringify(listenPath.slice(1))})
c.send(b'one'); c.send(b'two')
print(c.recv(100).decode(), flush=True)
c.close()`,
  ]);
  const pyDone = finished(pyClient);
  const connection = await listener.accept();
  t.after(() => connection.close());
  assert.equal((await connection.receive()).data.toString(), 'one');
  assert.equal((await connection.receive()).data.toString(), 'two');
  await connection.send('both arrived');
  const result = await pyDone;
  assert.equal(result.stdout.toString(), 'both arrived\n');
  const got: string[] = [];
  for await (const message of connection) got.push(message.data.toString());
  assert.deepEqual(got, []);
});
