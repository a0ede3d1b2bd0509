import { once } from 'node:events';
import { createServer } from 'node:net';

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
