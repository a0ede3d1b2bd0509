import { once } from 'node:events';
import { createServer } from 'node:net';
import { loadNative } from '../../src/native/load.js';

/**
 * A loopback TCP port that was free a moment ago: bound on port 0, read back, closed. For a port
 * to bind as a source port. Not for listening on (listen on port 0 and read the port back), and
 * not as a "refused" destination: another process may take it first (use refusedPort()).
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

/** Sockets that hold refusedPort()'s ports; closed by the kernel when the test process exits. */
const held: number[] = [];

/**
 * A loopback TCP port where connect() is refused, and stays refused for the rest of the test
 * process: a socket is bound there and never listens, so no other process (tests run in parallel)
 * can start listening on it. Without the native addon, the racy freePort() is the fallback.
 */
export async function refusedPort(host = '127.0.0.1'): Promise<number> {
  const native = loadNative();
  if (native === undefined) return freePort(host);
  const { AF_INET, AF_INET6, SOCK_STREAM } = native.constants;
  const fd = native.socket(host.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  native.bind(fd, { address: host, port: 0 });
  held.push(fd);
  const address = native.getsockname(fd);
  if (!('port' in address)) throw new Error('no TCP address');
  return address.port;
}

/**
 * A loopback TCP port that refuses connections now and that a listener the test starts later
 * (`--retry` until the target is up) can take, without another process taking it in between. A
 * socket bound there with SO_REUSEADDR that never listens holds it: Linux lets another socket
 * with SO_REUSEADDR bind the same address while no socket on it listens (Node, ncat and socat
 * listeners all set it), and never hands a port bound so to a listener or a connect on port 0.
 * Held for the rest of the test process, as refusedPort()'s are. Without the native addon, the
 * racy freePort() is the fallback.
 */
export async function portToListenOnLater(host = '127.0.0.1'): Promise<number> {
  const native = loadNative();
  if (native === undefined) return freePort(host);
  const { AF_INET, AF_INET6, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } = native.constants;
  const fd = native.socket(host.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  native.setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  native.bind(fd, { address: host, port: 0 });
  held.push(fd);
  const address = native.getsockname(fd);
  if (!('port' in address)) throw new Error('no TCP address');
  return address.port;
}
