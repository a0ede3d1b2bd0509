import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EOFError, TimeoutError } from '../../src/errors.js';
import { Tube } from '../../src/tube/tube.js';
import { fakePeer } from '../helpers/fake-stream.js';

function setup(options = {}) {
  const peer = fakePeer();
  const tube = new Tube(peer.stream, {
    ...options,
    remote: { address: '192.0.2.1', port: 7, family: 4 },
  });
  return { peer, tube };
}

test('recvUntil, recvLine and recvExactly take what they are asked for, in order', async () => {
  const { peer, tube } = setup();
  const line = tube.recvLine();
  const exactly = tube.recvExactly(3);
  const until = tube.recvUntil('END', { drop: true });
  peer.send('first li');
  peer.send('ne\nabcxyzE');
  peer.send('ND rest');
  assert.equal((await line).toString(), 'first line\n');
  assert.equal((await exactly).toString(), 'abc');
  assert.equal((await until).toString(), 'xyz');
  assert.equal((await tube.recv()).toString(), ' rest');
});

test('a timeout consumes nothing and carries what was buffered', async () => {
  const { peer, tube } = setup();
  peer.send('partial');
  await assert.rejects(tube.recvLine({ timeout: 10 }), (error: TimeoutError) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.code, 'SOCKCAT_TIMEOUT');
    assert.equal(error.timeoutMs, 10);
    assert.equal(error.buffered.toString(), 'partial');
    assert.equal(error.message, 'recvUntil "\\n" from 192.0.2.1:7 timed out after 10ms');
    assert.equal(error.address, '192.0.2.1');
    assert.equal(error.port, 7);
    return true;
  });
  peer.send(' line\n');
  assert.equal((await tube.recvLine()).toString(), 'partial line\n');
});

test('the default timeout applies when a call gives none', async () => {
  const { tube } = setup({ timeout: 5 });
  await assert.rejects(tube.recv(), { code: 'SOCKCAT_TIMEOUT' });
});

test('an abort consumes nothing', async () => {
  const { peer, tube } = setup();
  peer.send('abc');
  const controller = new AbortController();
  const pending = tube.recvExactly(10, { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { code: 'SOCKCAT_ABORTED' });
  assert.equal((await tube.recvExactly(3)).toString(), 'abc');
  await assert.rejects(tube.recv(1, { signal: AbortSignal.abort() }), { code: 'SOCKCAT_ABORTED' });
});

test('at EOF an unmet request throws EOFError with the partial bytes, which stay buffered', async () => {
  const { peer, tube } = setup();
  peer.send('no newline');
  peer.end();
  await assert.rejects(tube.recvLine(), (error: EOFError) => {
    assert.ok(error instanceof EOFError);
    assert.equal(error.code, 'SOCKCAT_EOF');
    assert.equal(error.buffered.toString(), 'no newline');
    return true;
  });
  assert.equal((await tube.recvAll()).toString(), 'no newline');
  await assert.rejects(tube.recv(), { code: 'SOCKCAT_EOF' });
  assert.equal(tube.atEOF, true);
});

test('recvAll returns everything up to EOF', async () => {
  const { peer, tube } = setup();
  const all = tube.recvAll();
  peer.send('a');
  peer.send('b');
  peer.end();
  assert.equal((await all).toString(), 'ab');
});

test('recvRegex matches bytes and consumes through the match', async () => {
  const { peer, tube } = setup();
  const pending = tube.recvRegex(/token=(\d+);/);
  peer.send('hdr token=12');
  peer.send('34; tail');
  const { data, match } = await pending;
  assert.equal(data.toString(), 'hdr token=1234;');
  assert.equal(match[1], '1234');
  assert.equal((await tube.recv()).toString(), ' tail');
});

test('unrecv and clean', async () => {
  const { peer, tube } = setup();
  peer.send('hello');
  assert.equal((await tube.recv(2)).toString(), 'he');
  tube.unrecv('HE');
  assert.equal((await tube.clean()).toString(), 'HEllo');
  assert.equal(tube.buffered, 0);
});

test('send, sendLine and sendLineAfter write to the stream', async () => {
  const { peer, tube } = setup();
  peer.send('name? ');
  const got = await tube.sendLineAfter('? ', 'alice');
  assert.equal(got.toString(), 'name? ');
  await tube.send(Buffer.from([0, 1, 2]));
  await tube.sendLine('bye');
  assert.deepEqual(
    peer.received(),
    Buffer.concat([Buffer.from('alice\n'), Buffer.from([0, 1, 2]), Buffer.from('bye\n')]),
  );
});

test("shutdown('send') ends the writable side; receiving goes on", async () => {
  const { peer, tube } = setup();
  await tube.shutdown('send');
  assert.equal(peer.finished, true);
  await assert.rejects(tube.send('late'), {
    code: 'SOCKCAT_CLOSED',
    message: 'send to 192.0.2.1:7: the sending side was shut down',
  });
  peer.send('still here');
  assert.equal((await tube.recv()).toString(), 'still here');
});

test("shutdown('recv') fails pending receives and discards later bytes", async () => {
  const { peer, tube } = setup();
  const pending = tube.recv();
  await tube.shutdown('recv');
  await assert.rejects(pending, { code: 'SOCKCAT_CLOSED' });
  peer.send('ignored');
  await assert.rejects(tube.recv(), { code: 'SOCKCAT_CLOSED' });
});

test('async iteration yields chunks until EOF', async () => {
  const { peer, tube } = setup();
  peer.send('a');
  peer.send('b');
  peer.end();
  const chunks: string[] = [];
  for await (const chunk of tube) chunks.push(chunk.toString());
  assert.equal(chunks.join(''), 'ab');
});

test('close and destroy are idempotent, and pending receives fail on destroy', async () => {
  const { tube } = setup();
  const pending = tube.recv();
  tube.destroy();
  tube.destroy();
  await assert.rejects(pending, { code: 'SOCKCAT_CLOSED' });
  await tube.close();
  await tube.close();
  assert.equal(tube.closed, true);
});

test('reading stops at the high-water mark and resumes as data is consumed', async () => {
  const { peer, tube } = setup({ highWaterMark: 8 });
  peer.send('0123456789');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(peer.stream.isPaused(), true);
  assert.equal((await tube.recv(9)).toString(), '012345678');
  assert.equal(peer.stream.isPaused(), false);
});

test('toStream hands over the buffered bytes first', async () => {
  const { peer, tube } = setup();
  peer.send('buffered');
  await tube.recv(1);
  peer.send('+more');
  const stream = tube.toStream();
  stream.resume();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  peer.end();
  await new Promise((resolve) => stream.once('end', resolve));
  assert.equal(Buffer.concat(chunks).toString(), 'uffered+more');
});

test('idleTimeout destroys a silent connection', async () => {
  const { peer, tube } = setup({ idleTimeout: 30 });
  // The idle timer does not hold the process open; this pending receive's own timer does.
  const pending = tube.recvExactly(2, { timeout: 10_000 });
  peer.send('a');
  await assert.rejects(pending, {
    code: 'SOCKCAT_TIMEOUT',
    message: 'connection to 192.0.2.1:7 idle for 30ms',
  });
  assert.equal(tube.closed, true);
  await assert.rejects(tube.send('x'), { code: 'SOCKCAT_TIMEOUT' });
});
