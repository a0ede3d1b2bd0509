import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHostPort, unbracket } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { validatePort } from '../address/port.js';
import {
  type Family,
  interleaveFamilies,
  type LookupFunction,
  type ResolvedAddress,
  resolveHost,
} from '../address/resolve.js';
import type { TlsInfo } from '../address/tls-info.js';
import {
  AbortError,
  ArgumentError,
  ConnectError,
  ConnectionRefusedError,
  describeSystemError,
  type ErrorContext,
  SockcatError,
  TimeoutError,
} from '../errors.js';
import { Tube, type TubeOptions } from '../tube/tube.js';
import { endpointOf } from './endpoint.js';
import {
  applySocketOptions,
  type SocketOptions,
  tcpDescriptorFor,
  validateSocketOptions,
} from './socket-options.js';
import { isUnixTarget, parseTarget, type TargetInput, unixSocketPath } from './target.js';

/** Options of a plain TCP or Unix stream connect (dial/connect.ts adds proxies and TLS). */
export interface ConnectOptions {
  /** Force IPv4 (4) or IPv6 (6); 0 (default) tries every resolved address. */
  family?: Family;
  /** Refuse host names, accept only IP literals (ncat's -n). */
  numericOnly?: boolean;
  /** Milliseconds for the whole connect (resolution included). Default: none. */
  timeout?: number;
  /** Delay before starting the next address while one is still pending (RFC 8305). Default 250. */
  attemptDelay?: number;
  /** Source address to bind before connecting. */
  localAddress?: string;
  /** Source port to bind before connecting. */
  localPort?: number;
  /** Disable Nagle's algorithm. Default true, as for interactive tools. */
  noDelay?: boolean;
  /** Enable TCP keepalive with this initial delay in milliseconds. */
  keepAlive?: number;
  /** TTL, TOS, keepalive probes, buffer sizes, device: see SocketOptions. */
  socket?: SocketOptions;
  lookup?: LookupFunction;
  signal?: AbortSignal;
  /** Options of the returned tube (default receive timeout, buffer size). */
  tube?: TubeOptions;
}

const DEFAULT_ATTEMPT_DELAY = 250;

/**
 * Connect over TCP and return a Tube. Every resolved address is tried, the families alternating
 * and a new attempt starting every `attemptDelay` ms while the previous ones are pending (happy
 * eyeballs); the first to connect wins and the others are dropped. Plain TCP or Unix stream:
 * proxies and TLS compose above this, in dial/connect.ts.
 */
export async function connect(target: TargetInput, options: ConnectOptions = {}): Promise<Tube> {
  if (isUnixTarget(target)) {
    const socket = await openUnixSocket(unixSocketPath(target), target.path, options);
    return unixTube(socket, target.path, options);
  }
  const { host, port } = parseTarget(target);
  const route = tcpRoute(host, options);
  const socket = prepareSocket(await openTcpSocket(host, port, route, options), options);
  return tcpTube(socket, options);
}

/** Where a TCP connect goes from: the family and source address, validated. */
export interface TcpRoute {
  family: Family;
  localAddress: string | undefined;
}

/** Validate a TCP connect's options (host, source port and address, family, socket options). */
export function tcpRoute(host: string, options: ConnectOptions): TcpRoute {
  if (host === '') throw new ArgumentError('connect needs a host');
  if (options.localPort !== undefined) validatePort(options.localPort, 'source port');
  if (options.socket) validateSocketOptions(options.socket);
  const localAddress =
    options.localAddress === undefined ? undefined : unbracket(options.localAddress);
  const localFamily = localAddress === undefined ? 0 : ipFamily(localAddress);
  if (localAddress !== undefined && localFamily === 0) {
    throw new ArgumentError(`source address ${JSON.stringify(localAddress)} is not an IP address`);
  }
  const family: Family = options.family || localFamily;
  if (options.family && localFamily && options.family !== localFamily) {
    throw new ArgumentError(
      `source address ${localAddress} is IPv${localFamily} but IPv${options.family} was requested`,
    );
  }
  return { family, localAddress };
}

/** Nagle, keepalive and the socket options on a connected socket (destroyed if they fail). */
export function prepareSocket(socket: Socket, options: ConnectOptions): Socket {
  socket.setNoDelay(options.noDelay ?? true);
  if (options.keepAlive !== undefined) socket.setKeepAlive(true, options.keepAlive);
  if (options.socket) {
    try {
      applySocketOptions(socket, options.socket);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }
  return socket;
}

/** The Tube of a connected TCP socket; `over` is what carries the bytes (a TLS socket). */
export function tcpTube(
  socket: Socket,
  options: ConnectOptions,
  over?: { stream: Duplex; tls: TlsInfo },
): Tube {
  return new Tube(over?.stream ?? socket, {
    ...options.tube,
    network: 'tcp',
    local: endpointOf(socket.localAddress, socket.localPort, socket.localFamily),
    remote: endpointOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily),
    ...(over ? { tls: over.tls } : {}),
  });
}

/** The Tube of a connected Unix stream socket (shown by its path as given). */
export function unixTube(
  socket: Socket,
  shown: string,
  options: ConnectOptions,
  over?: { stream: Duplex; tls: TlsInfo },
): Tube {
  return new Tube(over?.stream ?? socket, {
    ...options.tube,
    network: 'unix',
    remote: { address: shown, port: 0, family: 0 },
    local: { address: '', port: 0, family: 0 },
    ...(over ? { tls: over.tls } : {}),
  });
}

/** TCP to host:port (resolution and happy eyeballs included), bounded by `options.timeout`. */
export async function openTcpSocket(
  host: string,
  port: number,
  route: TcpRoute,
  options: ConnectOptions,
): Promise<Socket> {
  const { family, localAddress } = route;
  const name = formatHostPort(host, port);
  const context: ErrorContext = { op: 'connect', network: 'tcp', address: host, port };

  if (options.signal?.aborted) throw new AbortError(`connect to ${name} aborted`, context);
  const controller = new AbortController();
  const timeout = options.timeout;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      'abort',
      () => {
        if (timedOut) {
          reject(
            new TimeoutError(
              `connect to ${name} timed out after ${timeout}ms`,
              timeout ?? 0,
              context,
            ),
          );
        } else {
          reject(new AbortError(`connect to ${name} aborted`, context));
        }
      },
      { once: true },
    );
  });
  deadline.catch(() => {});
  if (timeout !== undefined && Number.isFinite(timeout)) {
    timer = setTimeout(() => {
      // Defer one turn so that a socket error arriving in the same tick wins over the timer.
      setImmediate(() => {
        timedOut = true;
        controller.abort();
      });
    }, timeout);
  }
  try {
    const resolveOptions = {
      family,
      numericOnly: options.numericOnly ?? false,
      signal: controller.signal,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    };
    const addresses = interleaveFamilies(
      await Promise.race([resolveHost(host, resolveOptions), deadline]),
    );
    const socket = await Promise.race([
      raceAttempts(addresses, port, localAddress, options, controller.signal, name, context),
      deadline,
    ]);
    return socket;
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof SockcatError)) {
      throw timedOut
        ? new TimeoutError(`connect to ${name} timed out after ${timeout}ms`, timeout ?? 0, context)
        : new AbortError(`connect to ${name} aborted`, context);
    }
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    controller.abort();
  }
}

function raceAttempts(
  addresses: ResolvedAddress[],
  port: number,
  localAddress: string | undefined,
  options: ConnectOptions,
  signal: AbortSignal,
  name: string,
  context: ErrorContext,
): Promise<Socket> {
  const attemptDelay = options.attemptDelay ?? DEFAULT_ATTEMPT_DELAY;
  return new Promise<Socket>((resolve, reject) => {
    const pending = new Set<Socket>();
    const errors: Array<{ address: string; error: NodeJS.ErrnoException }> = [];
    let next = 0;
    let settled = false;
    let delayTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      settled = true;
      if (delayTimer) clearTimeout(delayTimer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      for (const socket of pending) socket.destroy();
      pending.clear();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const fail = () => {
      finish();
      reject(connectFailure(errors, name, context));
    };

    const startNext = () => {
      if (delayTimer) clearTimeout(delayTimer);
      delayTimer = undefined;
      if (settled) return;
      const candidate = addresses[next++];
      if (candidate === undefined) {
        if (pending.size === 0) fail();
        return;
      }
      let socket: Socket;
      try {
        socket = attemptSocket(candidate.family, options.socket);
      } catch (error) {
        // The options cannot be set (no addon, a value the kernel refuses): stop every attempt.
        onAbort();
        reject(error);
        return;
      }
      pending.add(socket);
      const onError = (error: NodeJS.ErrnoException) => {
        socket.off('connect', onConnect);
        pending.delete(socket);
        socket.destroy();
        if (settled) return;
        errors.push({ address: candidate.address, error });
        startNext();
      };
      const onConnect = () => {
        socket.off('error', onError);
        pending.delete(socket);
        if (settled) {
          socket.destroy();
          return;
        }
        finish();
        for (const other of pending) other.destroy();
        pending.clear();
        resolve(socket);
      };
      socket.once('error', onError);
      socket.once('connect', onConnect);
      socket.connect({
        host: candidate.address,
        port,
        family: candidate.family,
        ...(localAddress !== undefined ? { localAddress } : {}),
        ...(options.localPort !== undefined ? { localPort: options.localPort } : {}),
      });
      if (next < addresses.length) {
        delayTimer = setTimeout(startNext, attemptDelay);
      }
    };
    startNext();
  });
}

/** The socket of one connect attempt: opened here when options must be set before the SYN. */
function attemptSocket(family: 4 | 6, options: SocketOptions | undefined): Socket {
  const fd = options ? tcpDescriptorFor(family, options) : undefined;
  return new Socket({ allowHalfOpen: true, ...(fd !== undefined ? { fd } : {}) });
}

function connectFailure(
  errors: Array<{ address: string; error: NodeJS.ErrnoException }>,
  name: string,
  context: ErrorContext,
): SockcatError {
  // Report the most telling failure: a refusal proves a host answered, so prefer it.
  const chosen = errors.find((e) => e.error.code === 'ECONNREFUSED') ?? errors[0];
  if (chosen === undefined) return new ConnectError(`connect to ${name} failed`, context);
  const via = chosen.address === context.address ? '' : ` (${chosen.address})`;
  const detail = describeSystemError(chosen.error);
  const ctx = { ...context, cause: chosen.error };
  if (chosen.error.code === 'ECONNREFUSED') {
    return new ConnectionRefusedError(`connect to ${name}${via} failed: ${detail}`, ctx);
  }
  return new ConnectError(`connect to ${name}${via} failed: ${detail}`, ctx);
}

/** A connected Unix stream socket at `path` (`shown` in messages), bounded by `options.timeout`. */
export async function openUnixSocket(
  path: string,
  shown: string,
  options: ConnectOptions,
): Promise<Socket> {
  const context: ErrorContext = { op: 'connect', network: 'unix', address: shown };
  const socket = new Socket({ allowHalfOpen: true });
  const timeout = options.timeout;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      cleanup();
      socket.destroy();
      reject(connectFailure([{ address: shown, error }], shown, context));
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(new AbortError(`connect to ${shown} aborted`, context));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined && Number.isFinite(timeout)) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(
          new TimeoutError(`connect to ${shown} timed out after ${timeout}ms`, timeout, context),
        );
      }, timeout);
    }
    socket.once('error', onError);
    socket.once('connect', onConnect);
    socket.connect({ path });
  });
  return socket;
}
