// serve({ protocol: 'udp' }): close() lets the replies already handed to the socket go out
// (a DTLS close_notify is such a last reply), and stops taking datagrams.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { serve } from '../../src/server/serve.js';
import type { Datagram } from '../../src/server/udp.js';

test('close() right after a reply: the reply still reaches the sender', async (t) => {
  let received!: (datagram: Datagram) => void;
  const first = new Promise<Datagram>((resolve) => {
    received = resolve;
  });
  const server = await serve({ protocol: 'udp', listen: '127.0.0.1:0', handler: received });
  t.after(() => server.close());
  const client = createSocket('udp4');
  t.after(() => client.close());
  client.send('hello', server.address().port, '127.0.0.1');
  // The handler is done: the reply is sent later, as a session's last word is, then close().
  const datagram = await first;
  void datagram.reply(`last answer to ${datagram.data.toString()}`);
  await server.close();
  const [answer] = (await once(client, 'message')) as [Buffer];
  assert.equal(answer.toString(), 'last answer to hello');
});
