import { Worker } from 'node:worker_threads';
import { resolveHost } from '../address/resolve.js';
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
  const family = options.family ?? 0;
  let listen: ThreadListen;
  if (host === '') {
    listen =
      family === 4
        ? { host: '0.0.0.0', port, family: 4, backlog: options.backlog ?? 511, ipv6Only: false }
        : { host: '::', port, family: 6, backlog: options.backlog ?? 511, ipv6Only: family === 6 };
  } else {
    const [first] = await resolveHost(host, { family });
    listen = {
      host: first!.address,
      port,
      family: first!.family,
      backlog: options.backlog ?? 511,
      ipv6Only: false,
    };
  }
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
