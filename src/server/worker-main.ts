// Entry point of every serve() worker, thread or process. It opens (or receives) the listening
// socket, runs the same Engine as inline mode, and talks to the primary in typed messages.
import cluster from 'node:cluster';
import { createServer, type Server as NetServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import { describeSystemError, ListenError, SockcatError } from '../errors.js';
import { listenReusePort } from '../transports/reuse-port.js';
import { adoptServer } from '../transports/tcp-listen.js';
import { Engine } from './engine.js';
import { loadHandler } from './load-handler.js';
import type {
  FromWorker,
  ThreadListen,
  ThreadWorkerData,
  ToWorker,
  WorkerConfig,
} from './messages.js';

type Send = (message: FromWorker) => void;

async function run(
  config: WorkerConfig,
  server: NetServer,
  send: Send,
  onMessage: (fn: (m: ToWorker) => void) => void,
) {
  const handler = await loadHandler(config.handlerModule);
  const tube = { ...config.tube };
  if (config.idleTimeout !== undefined) tube.idleTimeout = config.idleTimeout;
  const listener = adoptServer(server, { tube });
  const engine = new Engine(listener, {
    handler,
    maxConnections: config.maxConnections,
    overflow: config.overflow,
    proxyProtocol: config.proxyProtocol,
    proxyTimeout: config.proxyTimeout,
    worker: config.worker,
    onError: (error: Error, info: { remote: Endpoint }) => {
      process.stderr.write(`sockcat serve (${config.worker}): handler failed: ${error.message}\n`);
      send({
        type: 'handler-error',
        message: error.message,
        address: info.remote.address,
        port: info.remote.port,
      });
    },
    onCount: (active, handled) => send({ type: 'count', active, handled }),
  });
  send({ type: 'listening', port: listener.address().port });
  onMessage((message) => {
    if (message.type !== 'close') return;
    engine.close(message.gracePeriod).then(() => {
      send({ type: 'closed' });
      process.exitCode = 0;
      // Threads end when their loop is empty; processes leave explicitly once the message is out.
      if (cluster.isWorker) cluster.worker?.disconnect();
      else parentPort?.close();
    });
  });
}

function fatal(send: Send, error: unknown): void {
  const code = error instanceof SockcatError ? error.code : 'SOCKCAT_LISTEN';
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error), code });
}

async function threadMain(data: ThreadWorkerData): Promise<void> {
  const port = parentPort!;
  const send: Send = (message) => port.postMessage(message);
  try {
    const server = await openThreadSocket(data.listen);
    await run(data.config, server, send, (fn) => port.on('message', fn));
  } catch (error) {
    fatal(send, error);
    port.close();
  }
}

async function openThreadSocket(listen: ThreadListen): Promise<NetServer> {
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  try {
    await listenReusePort(server, listen);
  } catch (error) {
    if (error instanceof SockcatError) throw error;
    throw new ListenError(
      `listen on ${listen.host}:${listen.port} failed: ${describeSystemError(error)}`,
      {
        network: 'tcp',
        address: listen.host,
        port: listen.port,
        cause: error,
      },
    );
  }
  return server;
}

function processMain(): void {
  // A terminal's Ctrl-C reaches the whole process group: the primary turns it into one graceful
  // shutdown ('close' message), so a worker must not die of it on its own.
  const leaveToPrimary = () => {};
  process.on('SIGINT', leaveToPrimary);
  process.on('SIGTERM', leaveToPrimary);
  const send: Send = (message) => process.send?.(message);
  const config = JSON.parse(process.env['SOCKCAT_SERVE_WORKER'] ?? '{}') as WorkerConfig & {
    listen: object;
  };
  // JSON has no Infinity: an unlimited share arrives as null.
  config.maxConnections ??= Number.POSITIVE_INFINITY;
  // In a cluster worker, listen() asks the primary for the shared listening socket.
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  const target = config.listen as { host?: string; port?: number; path?: string };
  const name =
    target.path !== undefined
      ? target.path.replace(/^\0/, '@')
      : formatHostPort(target.host ?? '', target.port ?? 0);
  server.once('error', (error) =>
    fatal(
      send,
      new ListenError(`listen on ${name} failed: ${describeSystemError(error)}`, { cause: error }),
    ),
  );
  server.listen(config.listen, () => {
    run(config, server, send, (fn) => process.on('message', fn)).catch((error: unknown) =>
      fatal(send, error),
    );
  });
}

const data = workerData as ThreadWorkerData | undefined;
if (data?.kind === 'sockcat-serve-thread') {
  void threadMain(data);
} else if (cluster.isWorker) {
  processMain();
}
