// The datagram session table: per-peer sessions, idle expiry (shorter for one-shot peers), the
// limit with and without eviction, and ending once.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { DatagramSessions } from '../../src/relay/datagram-sessions.js';

interface Peer {
  name: string;
  ended: AbortSignal;
}

function table(options: { idleMs: number; oneShotMs?: number; limit?: number; evict?: boolean }) {
  const ends: string[] = [];
  const sessions = new DatagramSessions<Peer>({
    idleMs: options.idleMs,
    ...(options.oneShotMs !== undefined ? { oneShotMs: options.oneShotMs } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.evict ? { evictOneShot: true } : {}),
    onEnd: (peer, reason) => ends.push(`${peer.name} ${reason}`),
    // The mocked Date moves with mock.timers.tick().
    clock: () => Date.now(),
  });
  const add = (name: string) => sessions.add(name, (ended) => ({ name, ended }));
  return { sessions, ends, add };
}

test('a session lives while datagrams go either way, and ends idle after idleMs', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const { sessions, ends, add } = table({ idleMs: 1000 });
  const a = add('a')!;
  sessions.received(a);
  mock.timers.tick(900);
  sessions.sent(a);
  mock.timers.tick(900);
  sessions.received(a);
  mock.timers.tick(999);
  assert.deepEqual(ends, []);
  assert.equal(sessions.get('a'), a);
  assert.equal(a.ended.aborted, false);
  mock.timers.tick(1);
  assert.deepEqual(ends, ['a idle-timeout']);
  assert.equal(a.ended.aborted, true);
  assert.equal(sessions.get('a'), undefined);
  assert.equal(sessions.size, 0);
});

test('a one-shot peer gets oneShotMs; its second datagram gives it the full idleMs', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const { sessions, ends, add } = table({ idleMs: 5000, oneShotMs: 100 });
  const once = add('once')!;
  const twice = add('twice')!;
  sessions.received(once);
  sessions.received(twice);
  mock.timers.tick(50);
  sessions.received(twice);
  mock.timers.tick(50);
  assert.deepEqual(ends, ['once idle-timeout']);
  mock.timers.tick(4949);
  assert.deepEqual(ends, ['once idle-timeout']);
  mock.timers.tick(1);
  assert.deepEqual(ends, ['once idle-timeout', 'twice idle-timeout']);
});

test('at the limit a new peer is refused, or takes the oldest one-shot place with eviction', () => {
  const plain = table({ idleMs: 1000, limit: 1 });
  const first = plain.add('a')!;
  plain.sessions.received(first);
  assert.equal(plain.add('b'), undefined);
  assert.deepEqual(plain.ends, []);
  plain.sessions.endAll('aborted');

  const evicting = table({ idleMs: 1000, limit: 2, evict: true });
  const talker = evicting.add('talker')!;
  evicting.sessions.received(talker);
  evicting.sessions.received(talker);
  const probe = evicting.add('probe')!;
  evicting.sessions.received(probe);
  const newcomer = evicting.add('newcomer');
  assert.equal(newcomer?.name, 'newcomer');
  assert.deepEqual(evicting.ends, ['probe evicted']);
  assert.deepEqual(
    evicting.sessions.sessions().map((peer) => peer.name),
    ['talker', 'newcomer'],
  );
  evicting.sessions.received(newcomer!);
  evicting.sessions.received(newcomer!);
  // Both have talked: nobody is ended for a newcomer.
  assert.equal(evicting.add('late'), undefined);
  evicting.sessions.endAll('aborted');
  assert.deepEqual(evicting.ends, ['probe evicted', 'talker aborted', 'newcomer aborted']);
});

test('a session ends once; a new session under the same key is a new one', () => {
  const { sessions, ends, add } = table({ idleMs: 1000 });
  const old = add('k')!;
  sessions.end(old, 'done');
  sessions.end(old, 'again');
  const fresh = add('k')!;
  sessions.end(old, 'stale');
  sessions.received(old);
  assert.deepEqual(ends, ['k done']);
  assert.equal(sessions.get('k'), fresh);
  sessions.endAll('aborted');
  assert.deepEqual(ends, ['k done', 'k aborted']);
});
