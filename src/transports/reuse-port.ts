import type { Server as NetServer } from 'node:net';
import { requireNative } from '../native/load.js';

/** Where a SO_REUSEPORT socket listens (an IP literal; '::' with ipv6Only false is dual-stack). */
export interface ReusePortListen {
  host: string;
  port: number;
  family: 4 | 6;
  backlog: number;
  ipv6Only: boolean;
}

/** Node 22.12 / 23.1 added `reusePort` to server.listen(). */
export function nodeHasReusePort(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/**
 * Listen on a socket of our own with SO_REUSEPORT, so that several threads (or processes) each
 * accept on the same port and the kernel balances connections between them. Node's own option
 * where it has one, else the native addon's socket handed over as an fd.
 */
export function listenReusePort(server: NetServer, listen: ReusePortListen): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (nodeHasReusePort()) {
      server.listen(
        {
          host: listen.host,
          port: listen.port,
          backlog: listen.backlog,
          ipv6Only: listen.ipv6Only,
          reusePort: true,
        } as Parameters<NetServer['listen']>[0],
        done,
      );
      return;
    }
    try {
      const addon = requireNative('serve() with threads on Node < 22.12 (SO_REUSEPORT)');
      const fd = addon.listenReusePort(
        listen.family,
        listen.host,
        listen.port,
        listen.backlog,
        listen.ipv6Only,
      );
      server.listen({ fd }, done);
    } catch (error) {
      server.off('error', reject);
      reject(error);
    }
  });
}
