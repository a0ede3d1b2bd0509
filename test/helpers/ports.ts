import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago: bound on port 0, read back, closed. Another
 * process may take it before it is used, so callers that bind it retry on EADDRINUSE; as a
 * destination for connect() it gives a deterministic "connection refused".
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
