// -t end to end: a peer that negotiates gets refusals; stdout gets the data without the commands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TelnetCommand } from '../../src/relay/telnet.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { feedStdin, finished, spawnCli, stop, waitForLine } from '../helpers/child.js';

const { IAC, DO, DONT, WILL, WONT, SB, SE } = TelnetCommand;

// What a telnet server sends first: DO TERMINAL-TYPE (24), WILL ECHO (1), WILL SUPPRESS-GO-AHEAD
// (3), a subnegotiation, then text with an escaped 0xFF.
const GREETING = Buffer.from([
  IAC,
  DO,
  24,
  IAC,
  WILL,
  1,
  IAC,
  WILL,
  3,
  IAC,
  SB,
  24,
  1,
  IAC,
  SE,
  ...Buffer.from('login: '),
  IAC,
  IAC,
  ...Buffer.from('\n'),
]);
const REFUSALS = Buffer.from([IAC, WONT, 24, IAC, DONT, 1, IAC, DONT, 3]);
const SHOWN = Buffer.concat([Buffer.from('login: '), Buffer.from([0xff]), Buffer.from('\n')]);

test('-t in connect mode: each DO refused with WONT, each WILL with DONT; commands not printed', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const child = spawnCli(['-t', '127.0.0.1', String(listener.address().port)]);
  t.after(() => stop(child));
  const done = finished(child);
  const server = await listener.accept();
  // Sent in pieces that cut the commands, as a slow link would.
  for (const piece of [GREETING.subarray(0, 1), GREETING.subarray(1, 5), GREETING.subarray(5)]) {
    await server.send(piece);
  }
  assert.deepEqual(await server.recvExactly(REFUSALS.length), REFUSALS);
  await waitForLine(child.stdout!, /login: /);
  feedStdin(child, 'user\n');
  assert.equal((await server.recvAll()).toString(), 'user\n');
  await server.close();
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout, SHOWN);
});

test('-t in listen mode: the client negotiating gets refusals', async (t) => {
  const child = spawnCli(['-t', '-v', '-l', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const done = finished(child);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send(GREETING);
  assert.deepEqual(await client.recvExactly(REFUSALS.length), REFUSALS);
  await client.shutdown('send');
  feedStdin(child, '');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout, SHOWN);
});

test('-t -l -k: every client gets its own negotiation state', async (t) => {
  const child = spawnCli(['-t', '-v', '-lk', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const a = await connect(`127.0.0.1:${port}`);
  const b = await connect(`127.0.0.1:${port}`);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  // a leaves a command half-sent; b's bytes must not complete it.
  await a.send(Buffer.from([IAC, DO]));
  await b.send(Buffer.from([7, IAC, WILL, 9]));
  assert.deepEqual(await b.recvExactly(3), Buffer.from([IAC, DONT, 9]));
  await a.send(Buffer.from([5]));
  assert.deepEqual(await a.recvExactly(3), Buffer.from([IAC, WONT, 5]));
});
