// listen({ reusePort }): two listeners on one port, the kernel spreading clients between them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListenError } from '../../src/errors.js';
import { loadNative } from '../../src/native/load.js';
import { nodeHasReusePort } from '../../src/transports/reuse-port.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';

const skip = nodeHasReusePort() || loadNative() ? false : 'needs Node >= 22.12 or the native addon';

test('two listeners share a port with reusePort; without it the second fails', {
  skip,
}, async (t) => {
  const first = await listen('127.0.0.1:0', { reusePort: true });
  t.after(() => first.close());
  const port = first.address().port;
  const second = await listen({ host: '127.0.0.1', port }, { reusePort: true });
  t.after(() => second.close());
  await assert.rejects(listen({ host: '127.0.0.1', port }), (error: Error) => {
    assert.ok(error instanceof ListenError);
    assert.match(error.message, /Address already in use/);
    return true;
  });
  // Every client is accepted by one of the two (the kernel picks by a hash of the addresses).
  const clients = await Promise.all(Array.from({ length: 16 }, () => connect(`127.0.0.1:${port}`)));
  t.after(() => {
    for (const client of clients) client.destroy();
  });
  let accepted = 0;
  let allIn!: () => void;
  const all = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const serveOne = async (listener: typeof first) => {
    for await (const tube of listener) {
      tube.destroy();
      if (++accepted === clients.length) allIn();
    }
  };
  // Each listener accepts what the kernel gave it; closing them (t.after) ends the loops.
  void serveOne(first);
  void serveOne(second);
  await all;
  assert.equal(accepted, 16);
});
