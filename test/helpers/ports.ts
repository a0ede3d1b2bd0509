import { once } from 'node:events';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { loadNative } from '../../src/native/load.js';

/**
 * A loopback TCP port that was free a moment ago: bound on port 0, read back, closed. As a
 * destination for connect() it gives "connection refused". Not for listening on: another process
 * may take it first (listen on port 0 and read the port back instead).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * A loopback TCP port that refuses connections for the whole test: a socket bound to it that
 * never listens, so no other process can take the port meanwhile (which freePort() cannot
 * promise on a busy machine). Needs the native addon; without it, falls back to freePort().
 */
export async function refusingPort(t: TestContext): Promise<number> {
  const native = loadNative();
  if (!native) return freePort();
  const fd = native.socket(native.constants.AF_INET, native.constants.SOCK_STREAM, 0);
  t.after(() => native.close(fd));
  native.bind(fd, { address: '127.0.0.1', port: 0 });
  return (native.getsockname(fd) as { port: number }).port;
}
