import type { TubeOptions } from '../tube/tube.js';
import type { Overflow } from './types.js';

/** Everything a worker needs to serve: plain data, so it crosses threads and processes. */
export interface WorkerConfig {
  handlerModule: string;
  /** 'thread 2', 'process 1'. */
  worker: string;
  maxConnections: number;
  overflow: Overflow;
  idleTimeout: number | undefined;
  proxyProtocol: boolean | 'optional';
  proxyTimeout: number;
  tube: TubeOptions;
}

/** Threads open their own SO_REUSEPORT socket on this address. */
export interface ThreadListen {
  host: string;
  port: number;
  family: 4 | 6;
  backlog: number;
  ipv6Only: boolean;
}

export interface ThreadWorkerData {
  kind: 'sockcat-serve-thread';
  config: WorkerConfig;
  listen: ThreadListen;
}

/** Primary → worker. */
export type ToWorker =
  | { type: 'start'; config: WorkerConfig }
  | { type: 'close'; gracePeriod: number };

/** Worker → primary. */
export type FromWorker =
  | { type: 'listening'; port: number }
  | { type: 'count'; active: number; handled: number }
  | { type: 'handler-error'; message: string; address: string; port: number }
  | { type: 'fatal'; message: string; code: string }
  | { type: 'closed' };
