// The examples built on the native addon: Unix datagram pair, seqpacket server, multicast
// sender and receiver (in network namespaces the test creates).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { connectSeqpacket } from '../../src/transports/seqpacket.js';
import { finished, stop, waitForLine } from '../helpers/child.js';
import { createNetnsPair } from '../helpers/netns.js';
import { EXAMPLES } from '../helpers/paths.js';

const skip = loadNative() ? false : 'the native addon is not built';

test('unix-datagram-pair: ping and pong, each with its sender', { skip }, async () => {
  const child = spawn(process.execPath, [join(EXAMPLES, 'unix-datagram-pair.js'), '2']);
  const { code, stdout } = await finished(child);
  assert.equal(code, 0);
  const lines = stdout.toString().trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^right got "ping 1" from \{"path":"@sockcat-left-\d+"\}$/);
  assert.equal(lines[3], 'left got "pong 2"');
});

test('seqpacket-server: each message answered whole, per client', { skip }, async (t) => {
  const path = `@sockcat-example-seq-${process.pid}`;
  const server = spawn(process.execPath, [join(EXAMPLES, 'seqpacket-server.js'), path]);
  t.after(() => stop(server));
  await waitForLine(server.stdout!, /listening on/);
  const clients = await Promise.all([connectSeqpacket(path), connectSeqpacket(path)]);
  t.after(() => {
    for (const client of clients) client.close();
  });
  for (const [index, client] of clients.entries()) {
    await client.send(`hello ${index}`);
    await client.send('second');
    assert.equal((await client.receive()).data.toString(), `HELLO ${index}`);
    assert.equal((await client.receive()).data.toString(), 'SECOND');
  }
  const done = finished(server);
  server.kill('SIGTERM');
  assert.equal((await done).code, 0);
});

test('multicast: a receiver in one namespace gets what the sender sends to the group', {
  skip,
}, async (t) => {
  const pair = createNetnsPair(t);
  if (!pair) return;
  const group = '239.255.77.1';
  const receiver = pair.spawn(pair.b, process.execPath, [
    join(EXAMPLES, 'multicast-receiver.js'),
    group,
    '5007',
    pair.addressB,
    '3',
  ]);
  t.after(() => stop(receiver));
  const received = finished(receiver);
  await waitForLine(receiver.stdout!, /joined/);
  const sender = await finished(
    pair.spawn(pair.a, process.execPath, [
      join(EXAMPLES, 'multicast-sender.js'),
      group,
      '5007',
      pair.addressA,
      '3',
    ]),
  );
  assert.equal(sender.code, 0, sender.stderr);
  const { code, stdout } = await received;
  assert.equal(code, 0);
  const lines = stdout.toString().trim().split('\n').slice(1);
  assert.deepEqual(
    lines.map((line) => line.replace(/:\d+ /, ':PORT ')),
    [1, 2, 3].map((n) => `${pair.addressA}:PORT message ${n}`),
  );
});
