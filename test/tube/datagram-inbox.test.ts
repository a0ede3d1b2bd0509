// DatagramInbox, the receive side of UDP connections and DTLS sessions: a waiter gets the
// datagram at once, otherwise it waits in a bounded queue (beyond the bound it is dropped and
// counted), a timeout or abort consumes nothing, end and failure reach waiters and later receives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatagramInbox } from '../../src/tube/datagram-inbox.js';

const errors = {
  aborted: () => new Error('aborted'),
  timedOut: (ms: number) => new Error(`timed out after ${ms}ms`),
};

test('a waiting receiver gets the datagram; without one it is queued, up to the bound', async () => {
  const inbox = new DatagramInbox(2);
  const waiting = inbox.receive(errors);
  inbox.deliver(Buffer.from('first'));
  assert.equal((await waiting)?.toString(), 'first');
  for (const text of ['a', 'b', 'c', 'd']) inbox.deliver(Buffer.from(text));
  assert.equal(inbox.dropped, 2);
  assert.equal(inbox.bytesReceived, 9);
  assert.equal((await inbox.receive(errors))?.toString(), 'a');
  assert.equal((await inbox.receive(errors))?.toString(), 'b');
  inbox.deliver(Buffer.from('e'));
  assert.equal((await inbox.receive(errors))?.toString(), 'e');
});

test('a timeout or an abort consumes nothing: the next datagram goes to the next receiver', async () => {
  const inbox = new DatagramInbox();
  await assert.rejects(inbox.receive({ ...errors, timeout: 1 }), /timed out after 1ms/);
  const controller = new AbortController();
  const aborted = inbox.receive({ ...errors, signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, /aborted/);
  await assert.rejects(inbox.receive({ ...errors, signal: AbortSignal.abort() }), /aborted/);
  const next = inbox.receive(errors);
  inbox.deliver(Buffer.from('kept'));
  assert.equal((await next)?.toString(), 'kept');
});

test('end: waiters get undefined, queued datagrams still come out, later ones are ignored', async () => {
  const inbox = new DatagramInbox();
  const waiting = inbox.receive(errors);
  inbox.end();
  assert.equal(await waiting, undefined);
  const queued = new DatagramInbox();
  queued.deliver(Buffer.from('before'));
  queued.end();
  queued.deliver(Buffer.from('after'));
  assert.equal((await queued.receive(errors))?.toString(), 'before');
  assert.equal(await queued.receive(errors), undefined);
  assert.equal(queued.bytesReceived, 6);
});

test('fail: waiters and receives after the queue get the error, which wins over end', async () => {
  const inbox = new DatagramInbox();
  const waiting = inbox.receive(errors);
  const failure = new Error('refused');
  inbox.deliver(Buffer.from('x'));
  assert.equal((await waiting)?.toString(), 'x');
  const next = inbox.receive(errors);
  inbox.fail(failure);
  await assert.rejects(next, failure);
  inbox.end();
  await assert.rejects(inbox.receive(errors), failure);
});

test('deliver says whether the datagram was taken: false when the queue is full or ended', () => {
  const inbox = new DatagramInbox(1);
  assert.equal(inbox.deliver(Buffer.from('a')), true);
  assert.equal(inbox.deliver(Buffer.from('b')), false);
  inbox.end();
  assert.equal(inbox.deliver(Buffer.from('c')), false);
  assert.equal(inbox.dropped, 1);
});

test('iteration yields each datagram as it comes, and close ends it at once, releasing the queue', async () => {
  // One reader per -u -l -k -e session: its command iterates; when the session ends, what it
  // has not read is let go.
  const inbox = new DatagramInbox();
  const iterator = inbox[Symbol.asyncIterator]();
  const first = iterator.next();
  inbox.deliver(Buffer.from('one'));
  assert.equal((await first).value?.toString(), 'one');
  inbox.deliver(Buffer.from('two'));
  inbox.deliver(Buffer.from('three'));
  assert.equal((await iterator.next()).value?.toString(), 'two');
  inbox.close();
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  assert.equal(inbox.deliver(Buffer.from('late')), false);
});

test('close while the reader waits: the wait ends with the iteration', async () => {
  const inbox = new DatagramInbox();
  const iterator = inbox[Symbol.asyncIterator]();
  const waiting = iterator.next();
  inbox.close();
  inbox.close();
  assert.equal((await waiting).done, true);
});
