// Socket options on TCP connections (connect) and listeners (inherited by accepted sockets),
// read back with getsockopt through the addon.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { loadNative } from '../../src/native/load.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';

const addon = loadNative();
const skip = addon ? false : 'the native addon is not built';

function optionsOf(socket: Socket) {
  const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  const c = addon!.constants;
  const get = (level: number, name: number) => addon!.getsockoptInt(fd, level, name);
  return {
    ttl: get(c.IPPROTO_IP, c.IP_TTL),
    tos: get(c.IPPROTO_IP, c.IP_TOS),
    keepAlive: get(c.SOL_SOCKET, c.SO_KEEPALIVE),
    keepIdle: get(c.IPPROTO_TCP, c.TCP_KEEPIDLE),
    keepInterval: get(c.IPPROTO_TCP, c.TCP_KEEPINTVL),
    keepCount: get(c.IPPROTO_TCP, c.TCP_KEEPCNT),
    // The kernel doubles the size asked for (its bookkeeping), as socket(7) says.
    sendBuffer: get(c.SOL_SOCKET, c.SO_SNDBUF) / 2,
    receiveBuffer: get(c.SOL_SOCKET, c.SO_RCVBUF) / 2,
    noDelay: get(c.IPPROTO_TCP, c.TCP_NODELAY),
  };
}

const WANTED = {
  ttl: 7,
  tos: 0x10,
  keepAlive: { idle: 30_000, interval: 5_000, count: 4 },
  sendBufferSize: 65_536,
  receiveBufferSize: 131_072,
};

test('connect: every option is set on the connected socket', { skip }, async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const accepted = listener.accept();
  const tube = await connect(`127.0.0.1:${listener.address().port}`, { socket: WANTED });
  t.after(async () => {
    tube.destroy();
    (await accepted).destroy();
  });
  assert.deepEqual(optionsOf(tube.toStream() as Socket), {
    ttl: 7,
    tos: 0x10,
    keepAlive: 1,
    keepIdle: 30,
    keepInterval: 5,
    keepCount: 4,
    sendBuffer: 65_536,
    receiveBuffer: 131_072,
    noDelay: 1,
  });
});

test('listen: accepted sockets inherit the options set on the listener', { skip }, async (t) => {
  const listener = await listen('127.0.0.1:0', { socket: WANTED });
  t.after(() => listener.close());
  const client = await connect(`127.0.0.1:${listener.address().port}`);
  const tube = await listener.accept();
  t.after(() => {
    client.destroy();
    tube.destroy();
  });
  const got = optionsOf(tube.toStream() as Socket);
  assert.deepEqual(
    [got.ttl, got.tos, got.keepAlive, got.keepIdle, got.keepInterval, got.keepCount],
    [7, 0x10, 1, 30, 5, 4],
  );
  assert.equal(got.sendBuffer, 65_536);
});

test('bad values are refused before any connection is made', async () => {
  for (const socket of [
    { ttl: 0 },
    { ttl: 256 },
    { tos: -1 },
    { sendBufferSize: 0 },
    { keepAlive: { interval: -5 } },
  ]) {
    await assert.rejects(connect('127.0.0.1:9', { socket }), ArgumentError, JSON.stringify(socket));
  }
});
