import type { TestContext } from 'node:test';
import { serve } from '../../src/server/serve.js';
import type { ConnectionInfo } from '../../src/server/types.js';

/**
 * An echo server on 127.0.0.1:0 that reads a PROXY protocol header first (serve's
 * `proxyProtocol: true`), echoes everything up to the client's FIN, and records what each
 * handler learned in `seen`. Closed when the test ends.
 */
export async function proxyAwareEcho(t: TestContext) {
  const seen: ConnectionInfo[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    proxyProtocol: true,
    handler: async (tube, info) => {
      seen.push(info);
      await tube.send(await tube.recvAll());
    },
  });
  t.after(() => server.close());
  return { server, seen };
}
