import { Worker } from 'node:worker_threads';
import { resolveListenAddress } from '../address/resolve.js';
import { UnsupportedError } from '../errors.js';
import { isUnixTarget, parseTarget } from '../transports/target.js';
import type { FromWorker, ThreadListen, ThreadWorkerData, WorkerConfig } from './messages.js';
import type { ServeOptions, Server } from './types.js';
import { startPool, type WorkerHandle } from './workers.js';

const WORKER_MAIN = new URL('./worker-main.js', import.meta.url);

/** Handlers in `count` worker threads, each accepting on its own SO_REUSEPORT socket. */
export async function serveThreads(
  options: ServeOptions,
  count: number,
  config: (worker: string) => WorkerConfig,
): Promise<Server> {
  if (isUnixTarget(options.listen)) {
    throw new UnsupportedError(
      'serve() with threads needs a TCP port (SO_REUSEPORT); use { processes: n } for Unix sockets',
    );
  }
  const { host, port } = parseTarget(options.listen);
  const bind = await resolveListenAddress(host, { family: options.family ?? 0 });
  const listen: ThreadListen = {
    host: bind.address,
    port,
    family: bind.family,
    backlog: options.backlog ?? 511,
    ipv6Only: bind.ipv6Only,
  };
  const start = (index: number, port: number): WorkerHandle => {
    const name = `thread ${index + 1}`;
    const data: ThreadWorkerData = {
      kind: 'sockcat-serve-thread',
      config: config(name),
      listen: { ...listen, port },
    };
    const worker = new Worker(WORKER_MAIN, { workerData: data });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    worker.on('error', (error) => {
      process.stderr.write(`sockcat serve: ${name} failed: ${error.message}\n`);
    });
    return {
      name,
      send: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.on('message', (message: FromWorker) => listener(message)),
      exited,
      kill: () => void worker.terminate(),
    };
  };
  return startPool(
    count,
    start,
    (p) => ({ address: listen.host, port: p, family: listen.family }),
    options,
    port,
  );
}
