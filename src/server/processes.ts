import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../address/endpoint.js';
import { resolveListenAddress } from '../address/resolve.js';
import { isUnixTarget, parseTarget, unixSocketPath } from '../transports/target.js';
import type { FromWorker, WorkerConfig } from './messages.js';
import type { ServeOptions, Server } from './types.js';
import { startPool, type WorkerHandle } from './workers.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/**
 * Handlers in `count` worker processes (node:cluster). The primary owns the listening socket and
 * shares it; each worker accepts from it directly (SCHED_NONE), so no connection passes through
 * the primary.
 */
export async function serveProcesses(
  options: ServeOptions,
  count: number,
  config: (worker: string) => WorkerConfig,
): Promise<Server> {
  let listen: Record<string, unknown>;
  let endpoint: (port: number) => Endpoint;
  let requestedPort = 0;
  if (isUnixTarget(options.listen)) {
    const path = unixSocketPath(options.listen);
    listen = { path, backlog: options.backlog ?? 511 };
    const shown = options.listen.path;
    endpoint = () => ({ address: shown, port: 0, family: 0 });
  } else {
    const { host, port } = parseTarget(options.listen);
    const { address, ipv6Only } = await resolveListenAddress(host, { family: options.family ?? 0 });
    // Port 0: pick the port here, so that a replacement worker listens on the same one even when
    // the cluster closed the shared socket after its last worker died.
    requestedPort = port === 0 ? await freePort(address) : port;
    listen = {
      host: address,
      port: requestedPort,
      backlog: options.backlog ?? 511,
      ipv6Only,
    };
    endpoint = (p) => ({ address, port: p, family: address.includes(':') ? 6 : 4 });
  }
  if (cluster.isPrimary) {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [], silent: false });
  }
  // Every worker asks for the same address, port 0 included: the cluster primary keys the shared
  // socket on it, so they all get the same one.
  const start = (index: number): WorkerHandle => {
    const name = `process ${index + 1}`;
    const env = { SOCKCAT_SERVE_WORKER: JSON.stringify({ ...config(name), listen }) };
    const worker: Worker = cluster.fork(env);
    const exited = new Promise<number>((resolve) =>
      worker.once('exit', (code) => resolve(code ?? 1)),
    );
    return {
      name,
      send: (message) => {
        if (worker.isConnected()) worker.send(message);
      },
      onMessage: (listener) => worker.on('message', (message: FromWorker) => listener(message)),
      exited,
      kill: () => worker.process.kill('SIGKILL'),
    };
  };
  return startPool(count, start, endpoint, options, requestedPort);
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  probe.listen({ host, port: 0, exclusive: true });
  await Promise.race([
    once(probe, 'listening'),
    once(probe, 'error').then(([error]) => Promise.reject(error)),
  ]);
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}
