import type { Endpoint } from '../address/endpoint.js';
import {
  ArgumentError,
  ListenError,
  SockcatError,
  type SockcatErrorCode,
  UnsupportedError,
} from '../errors.js';
import { logHandlerError } from './engine.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { ServeOptions, Server } from './types.js';

/** One worker as the primary sees it, whatever it is (thread or process). */
export interface WorkerHandle {
  readonly name: string;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Resolves with the exit code when the worker is gone. */
  readonly exited: Promise<number>;
  kill(): void;
}

export type StartWorker = (index: number, port: number) => WorkerHandle;

/** Restarts allowed in RESTART_WINDOW_MS before the pool gives up on a crashing handler. */
const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 10_000;

/**
 * A fixed pool of workers behind the Server interface: starts them (the first alone, so that
 * port 0 is resolved to a real port the others can join), replaces any that crash, and closes them
 * gracefully.
 */
export async function startPool(
  count: number,
  start: StartWorker,
  address: (port: number) => Endpoint,
  options: ServeOptions,
  requestedPort: number,
): Promise<Server> {
  const workers = new Map<number, WorkerHandle>();
  const counts = new Map<number, { active: number; handled: number }>();
  let port = -1;
  let closing: Promise<void> | undefined;
  const restarts: number[] = [];
  const onError = options.onError ?? logHandlerError;

  const launch = (index: number, replaced = false): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const worker = start(index, port > 0 ? port : requestedPort);
      workers.set(index, worker);
      let ready = false;
      worker.onMessage((message) => {
        switch (message.type) {
          case 'listening':
            ready = true;
            if (port <= 0) port = message.port;
            resolve();
            options.onWorkerReady?.({ worker: worker.name, replaced });
            break;
          case 'fatal':
            reject(errorFromWorker(message.code, message.message));
            break;
          case 'count':
            counts.set(index, { active: message.active, handled: message.handled });
            break;
          case 'handler-error':
            onError(new Error(message.message), {
              remote: { address: message.address, port: message.port, family: 0 },
              worker: worker.name,
            });
            break;
          case 'closed':
            break;
        }
      });
      worker.exited.then((code) => {
        if (workers.get(index) !== worker) return;
        if (!ready) {
          reject(new Error(`${worker.name} exited with code ${code} before listening`));
          return;
        }
        if (closing) return;
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          process.stderr.write(`sockcat serve: ${worker.name} keeps crashing; not restarting it\n`);
          workers.delete(index);
          return;
        }
        process.stderr.write(
          `sockcat serve: ${worker.name} exited with code ${code}; starting a new one\n`,
        );
        launch(index, true).catch((error: Error) => {
          process.stderr.write(
            `sockcat serve: could not restart ${worker.name}: ${error.message}\n`,
          );
        });
      });
    });

  try {
    await launch(0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => launch(i + 1)));
  } catch (error) {
    for (const worker of workers.values()) worker.kill();
    await Promise.all([...workers.values()].map((w) => w.exited));
    throw error;
  }

  const sum = (key: 'active' | 'handled') =>
    [...counts.values()].reduce((total, c) => total + c[key], 0);
  const server: Server = {
    address: () => address(port),
    get connections() {
      return sum('active');
    },
    get handled() {
      return sum('handled');
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const gracePeriod = closeOptions.gracePeriod ?? options.gracePeriod ?? 5000;
        const all = [...workers.values()];
        for (const worker of all) worker.send({ type: 'close', gracePeriod });
        // Workers force their own connections after the grace period; kill any that hang on.
        const timer = setTimeout(() => {
          for (const worker of all) worker.kill();
        }, gracePeriod + 2000);
        await Promise.all(all.map((w) => w.exited));
        clearTimeout(timer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      })();
      return closing;
    },
  };
  // SIGINT/SIGTERM: the first starts the graceful shutdown, a second forces it.
  const onSignal = () => {
    if (closing) {
      for (const worker of workers.values()) worker.kill();
      return;
    }
    void server.close();
  };
  if (options.shutdownOnSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return server;
}

/** Split a connection limit over workers (each worker enforces its share). */
export function shareOf(limit: number | undefined, workers: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.ceil(limit / workers));
}

/** Rebuild a worker's error on this side of the thread or process boundary, class included. */
function errorFromWorker(code: string, message: string): SockcatError {
  switch (code) {
    case 'SOCKCAT_LISTEN':
      return new ListenError(message);
    case 'SOCKCAT_ARGS':
      return new ArgumentError(message);
    case 'SOCKCAT_UNSUPPORTED':
      return new UnsupportedError(message);
    default:
      return new SockcatError(
        code.startsWith('SOCKCAT_') ? (code as SockcatErrorCode) : 'SOCKCAT_LISTEN',
        message,
      );
  }
}
