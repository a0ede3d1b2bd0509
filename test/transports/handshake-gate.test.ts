// The handshake gate on its own: bounds, per-source cap, first-byte deadline, eviction order.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { mock, test } from 'node:test';
import { type GateDrop, HandshakeGate } from '../../src/transports/handshake-gate.js';

function recorder() {
  const drops: Array<[string, GateDrop]> = [];
  return { drops, dropped: (name: string) => (why: GateDrop) => drops.push([name, why]) };
}

test('a source beyond its cap is refused; its other handshakes are kept', () => {
  const gate = new HandshakeGate({ maxHandshakes: 10, maxPerSource: 2 });
  const { drops, dropped } = recorder();
  const a1 = gate.admit('10.0.0.1', dropped('a1'));
  const a2 = gate.admit('10.0.0.1', dropped('a2'));
  assert.equal(gate.admit('10.0.0.1', dropped('a3')), undefined);
  assert.ok(gate.admit('10.0.0.2', dropped('b1')), 'another source is not held back');
  assert.deepEqual(drops, [['a3', 'per-source']]);
  assert.equal(gate.size, 3);
  a1?.release();
  assert.ok(gate.admit('10.0.0.1', dropped('a4')), 'a released place is free again');
  a2?.release();
  gate.clear();
});

test('when full, the oldest silent handshake makes room; started ones are never evicted', () => {
  const gate = new HandshakeGate({ maxHandshakes: 3, maxPerSource: 10 });
  const { drops, dropped } = recorder();
  const first = gate.admit('10.0.0.1', dropped('first'));
  gate.admit('10.0.0.2', dropped('second'));
  gate.admit('10.0.0.3', dropped('third'));
  first?.heard();
  assert.ok(gate.admit('10.0.0.4', dropped('fourth')));
  assert.deepEqual(drops, [['second', 'evicted']], 'the oldest silent one, not the one that spoke');
  assert.equal(gate.size, 3);
  gate.clear();
});

test('when every handshake has started, a newcomer is refused', () => {
  const gate = new HandshakeGate({ maxHandshakes: 2 });
  const { drops, dropped } = recorder();
  gate.admit('10.0.0.1', dropped('a'))?.heard();
  gate.admit('10.0.0.2', dropped('b'))?.heard();
  assert.equal(gate.admit('10.0.0.3', dropped('c')), undefined);
  assert.deepEqual(drops, [['c', 'full']]);
  gate.clear();
  assert.equal(gate.size, 0);
});

test('Unix peers (no source address) share no per-source cap', () => {
  const gate = new HandshakeGate({ maxHandshakes: 5, maxPerSource: 1 });
  const { drops, dropped } = recorder();
  for (let i = 0; i < 5; i++) assert.ok(gate.admit('', dropped(`u${i}`)));
  assert.deepEqual(drops, []);
  gate.clear();
});

test('a connection silent past the first-byte deadline is dropped; one that spoke is not', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const gate = new HandshakeGate({ firstByteTimeout: 1000 });
  const { drops, dropped } = recorder();
  const silent = gate.admit('10.0.0.1', dropped('silent'));
  const speaker = gate.admit('10.0.0.1', dropped('speaker'));
  mock.timers.tick(999);
  speaker?.heard();
  assert.deepEqual(drops, []);
  mock.timers.tick(1);
  // The drop comes after the I/O waiting at the deadline (an immediate).
  assert.deepEqual(drops, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(drops, [['silent', 'first-byte-timeout']]);
  assert.equal(gate.size, 1);
  silent?.release();
  speaker?.release();
  speaker?.release();
  assert.equal(gate.size, 0, 'release is idempotent');
  mock.timers.tick(10_000);
  assert.equal(drops.length, 1);
});

test('a first byte that arrived before the deadline counts, though the process ran only after it', async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  const [accepted] = (await once(server, 'connection')) as [Socket];
  t.after(() => accepted.destroy());
  await once(client, 'connect');
  const gate = new HandshakeGate({ firstByteTimeout: 20 });
  const { drops, dropped } = recorder();
  const ticket = gate.admit('127.0.0.1', dropped('client'));
  accepted.once('data', () => ticket?.heard());
  // The byte is in the kernel's buffer at once; then this process does not run past the
  // deadline, as a loaded machine's may not: the timer is due before the byte is read.
  client.write('x');
  const until = performance.now() + 100;
  while (performance.now() < until) {}
  await once(accepted, 'data');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(drops, []);
  assert.equal(gate.size, 1);
  ticket?.release();
});

test('bounds must be positive', () => {
  assert.throws(() => new HandshakeGate({ maxHandshakes: 0 }), {
    code: 'SOCKCAT_ARGS',
    message: 'maxHandshakes must be positive, got 0',
  });
});
