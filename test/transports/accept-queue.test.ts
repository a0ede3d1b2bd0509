// AcceptQueue, the hand-out side of the TCP, Unix and WebSocket listeners: connections go to a
// waiting accept() or are held up to a bound (beyond it, refused), a held one that closes leaves
// the queue, a timeout loses nothing, close() and fail() end every wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosedError } from '../../src/errors.js';
import { AcceptQueue } from '../../src/transports/accept-queue.js';

function queue(limit = 2) {
  const refused: string[] = [];
  const forgets = new Map<string, () => void>();
  const q = new AcceptQueue<string, string>({
    limit,
    handOut: (item) => `tube(${item})`,
    refuse: (item) => refused.push(item),
    hold: (item, forget) => forgets.set(item, forget),
    context: () => ({ op: 'accept', address: '127.0.0.1', port: 1 }),
  });
  return { q, refused, forgets };
}

test('a waiting accept gets the connection; others are held up to the limit, then refused', async () => {
  const { q, refused, forgets } = queue(2);
  const waiting = q.accept();
  q.deliver('a');
  assert.equal(await waiting, 'tube(a)');
  for (const item of ['b', 'c', 'd']) q.deliver(item);
  assert.deepEqual(refused, ['d']);
  assert.equal(q.size, 2);
  // A held connection that closes before it is accepted leaves the queue.
  forgets.get('b')!();
  assert.equal(q.size, 1);
  assert.equal(await q.accept(), 'tube(c)');
});

test('a timed-out accept loses nothing; close() ends the waits and returns what was held', async () => {
  const { q } = queue();
  await assert.rejects(q.accept({ timeout: 1 }), {
    code: 'SOCKCAT_TIMEOUT',
    message: 'accept timed out after 1ms',
  });
  await assert.rejects(q.accept({ signal: AbortSignal.abort() }), { message: 'accept aborted' });
  q.deliver('kept');
  assert.equal(await q.accept(), 'tube(kept)');
  const waiting = q.accept();
  assert.deepEqual(q.close(), []);
  await assert.rejects(waiting, ClosedError);
  const held = queue();
  held.q.deliver('x');
  assert.deepEqual(held.q.close(), ['x']);
  await assert.rejects(held.q.accept(), { message: 'accept failed: the listener is closed' });
});

test('iteration ends at close(); fail() gives its error to waiting and later accepts', async () => {
  const { q } = queue();
  const iterator = q[Symbol.asyncIterator]();
  q.deliver('one');
  assert.deepEqual(await iterator.next(), { value: 'tube(one)', done: false });
  const next = iterator.next();
  q.close();
  assert.deepEqual(await next, { value: undefined, done: true });
  const failing = queue();
  const waiting = failing.q.accept();
  const failure = new Error('the one client failed its handshake');
  failing.q.fail(failure);
  await assert.rejects(waiting, failure);
  await assert.rejects(failing.q.accept(), failure);
});
