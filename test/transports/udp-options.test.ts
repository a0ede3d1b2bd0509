// UDP socket options through connectUdp(): broadcast across a veth pair in network namespaces
// the test creates, and TTL/TOS read back on loopback.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { loadNative } from '../../src/native/load.js';
import { connectUdp } from '../../src/transports/udp.js';
import { finished, stop, waitForLine } from '../helpers/child.js';
import { createNetnsPair } from '../helpers/netns.js';
import { ROOT } from '../helpers/paths.js';

const skip = loadNative() ? false : 'the native addon is not built';

test('broadcast: a datagram to the subnet broadcast address reaches the other namespace', {
  skip,
}, async (t) => {
  const pair = createNetnsPair(t);
  if (!pair) return;
  const broadcast = pair.addressB.replace(/\d+$/, '255');
  const receiver = pair.spawn(pair.b, process.execPath, [
    '-e',
    `const s = require('node:dgram').createSocket('udp4');
     s.on('message', (m, r) => { console.log(r.address + ' ' + m); s.close(); });
     s.bind(9876, () => console.log('ready'));`,
  ]);
  t.after(() => stop(receiver));
  await waitForLine(receiver.stdout!, /ready/);
  const index = join(ROOT, 'dist/src/index.js');
  const sender = pair.spawn(pair.a, process.execPath, [
    '--input-type=module',
    '-e',
    `import { connectUdp } from ${JSON.stringify(index)};
     const c = await connectUdp('${broadcast}:9876', { socket: { broadcast: true } });
     await c.send('to everyone');
     await c.close();`,
  ]);
  const sent = await finished(sender);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLine(
    receiver.stdout!,
    new RegExp(`${pair.addressA.replaceAll('.', '\\.')} to everyone`),
  );
});

test('TTL and TOS on a UDP connection; bad values refused first', { skip }, async (t) => {
  const server = createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const connection = await connectUdp(`127.0.0.1:${server.address().port}`, {
    socket: { ttl: 9, tos: 0x20 },
  });
  t.after(() => connection.close());
  await connection.send('marked');
  const [message] = (await once(server, 'message')) as [Buffer];
  assert.equal(message.toString(), 'marked');
  await assert.rejects(connectUdp('127.0.0.1:9', { socket: { ttl: 300 } }), ArgumentError);
});
