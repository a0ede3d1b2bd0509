// Unix seqpacket sockets: a connection that keeps message boundaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosedError, ConnectionRefusedError, EOFError } from '../../src/errors.js';
import { loadNative } from '../../src/native/load.js';
import { connectSeqpacket, listenSeqpacket } from '../../src/transports/seqpacket.js';

const skip = loadNative() ? false : 'the native addon is not built';
const unique = () => `@sockcat-seq-${process.pid}-${Math.random().toString(36).slice(2)}`;

test('messages keep their boundaries both ways; shutdown is the end of the stream', {
  skip,
}, async (t) => {
  const path = unique();
  const listener = await listenSeqpacket(path);
  t.after(() => listener.close());
  const accepted = listener.accept();
  const client = await connectSeqpacket(path);
  const server = await accepted;
  t.after(() => {
    client.close();
    server.close();
  });
  for (const text of ['first', 'second message', 'third']) await client.send(text);
  client.shutdown();
  const got: string[] = [];
  for await (const message of server) got.push(message.data.toString());
  assert.deepEqual(got, ['first', 'second message', 'third']);
  await assert.rejects(server.receive(), EOFError);
  await server.send('bye');
  assert.equal((await client.receive()).data.toString(), 'bye');
});

test('a server answers many clients, each on its own connection', { skip }, async (t) => {
  const path = unique();
  const listener = await listenSeqpacket(path);
  t.after(() => listener.close());
  const serving = (async () => {
    for await (const connection of listener) {
      void (async () => {
        for await (const message of connection)
          await connection.send(Buffer.concat([Buffer.from('echo:'), message.data]));
        connection.close();
      })();
    }
  })();
  const clients = await Promise.all(Array.from({ length: 20 }, () => connectSeqpacket(path)));
  const replies = await Promise.all(
    clients.map(async (client, index) => {
      await client.send(`client ${index}`);
      const reply = (await client.receive()).data.toString();
      client.close();
      return reply;
    }),
  );
  assert.deepEqual(
    replies,
    clients.map((_, index) => `echo:client ${index}`),
  );
  listener.close();
  await serving;
});

test('refused and closed', { skip }, async () => {
  await assert.rejects(connectSeqpacket(unique()), ConnectionRefusedError);
  const listener = await listenSeqpacket(unique());
  const waiting = listener.accept();
  listener.close();
  await assert.rejects(waiting, ClosedError);
});
