import { statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { formatHostPort } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { type Family, type LookupFunction, resolveListenAddress } from '../address/resolve.js';
import { describeSystemError, type ErrorContext, ListenError, SockcatError } from '../errors.js';
import { closedDuringHandshake } from '../tls/handshake.js';
import type { TlsInfo, TlsServerOptions } from '../tls/options.js';
import type { TlsAcceptor } from '../tls/server.js';
import { type Endpoint, Tube, type TubeOptions } from '../tube/tube.js';
import { AcceptQueue } from './accept-queue.js';
import { endpointOf } from './endpoint.js';
import { HandshakeGate, type HandshakeGateOptions } from './handshake-gate.js';
import { applyListenerOptions, type SocketOptions } from './socket-options.js';
import { isUnixTarget, parseTarget, type TargetInput, unixSocketPath } from './target.js';

export interface ListenOptions {
  /** 4: IPv4 only; 6: IPv6 only; 0 (default): without a host, both (a dual-stack socket). */
  family?: Family;
  numericOnly?: boolean;
  /** Kernel accept queue length. Default 511 (Node's). */
  backlog?: number;
  /**
   * Accepted connections held while nobody calls accept(); beyond it new ones are reset.
   * Default: the backlog.
   */
  maxPending?: number;
  /** Disable Nagle's algorithm on accepted sockets (set by Node at accept). Default true. */
  noDelay?: boolean;
  lookup?: LookupFunction;
  signal?: AbortSignal;
  /** Options for each accepted tube. */
  tube?: TubeOptions;
  /**
   * SO_REUSEPORT: several sockets (processes, threads) may listen on the same address and port,
   * and the kernel spreads connections between them. Node >= 22.12 does it itself; older Node
   * needs the native addon. (SO_REUSEADDR is always on for TCP listeners, as Node sets it.)
   */
  reusePort?: boolean;
  /**
   * Socket options for accepted TCP connections (see SocketOptions). They are set on the
   * listening socket, which accepted sockets inherit them from (Linux), so a failure shows when
   * listening rather than per connection.
   */
  socket?: SocketOptions;
  /**
   * Speak TLS with every client (`true`: defaults). Without `cert`/`key` an ephemeral self-signed
   * certificate is made in memory (its fingerprint is on `listener.tls`). A client is handed out
   * only after its handshake succeeded.
   */
  tls?: TlsServerOptions | true;
  /** Called when a client's TLS handshake fails (it is then dropped). Default: ignored. */
  onTlsError?: (error: Error, remote: Endpoint) => void;
  /**
   * With `tls`: access control before the handshake. False resets the connection at once, so a
   * refused client costs no TLS work.
   */
  allow?: (remote: Endpoint) => boolean;
  /**
   * With `tls`: bounds on handshakes in progress, apart from `maxPending` and any limit on served
   * connections (see HandshakeGateOptions). A client must send its first byte within
   * `firstByteTimeout`; when `maxHandshakes` are in progress the oldest silent one is dropped.
   */
  handshakes?: HandshakeGateOptions;
  /**
   * With `tls`: serve one client, as ncat's `-l` without `-k`. The first connection `allow` lets in
   * is the one: connections after it are reset at once, even while its handshake runs, and when
   * its handshake fails accept() rejects with that error (instead of waiting for another client).
   */
  tlsSingleClient?: boolean;
}

/** The listener's TLS identity. */
export interface ListenerTls {
  /** SHA-256 fingerprint of the certificate served (colon hex). */
  fingerprint: string;
  /** True when the certificate was generated in memory because none was given. */
  ephemeral: boolean;
}

export interface AcceptOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * A listening TCP socket. Connections are accepted by the kernel and handed out in order by
 * `accept()` or by async iteration.
 */
export class Listener implements AsyncIterable<Tube> {
  #server: Server;
  /** Connections the kernel accepted, held until accept() wraps them in Tubes. */
  readonly #queue: AcceptQueue<Socket, Tube>;
  #tubeOptions: TubeOptions;
  #closing: Promise<void> | undefined;
  #context: ErrorContext;
  #acceptor: TlsAcceptor | undefined;
  #onTlsError: ((error: Error, remote: Endpoint) => void) | undefined;
  #allow: ((remote: Endpoint) => boolean) | undefined;
  /** Handshakes in progress (TLS only): their own bound, per-source cap and first-byte deadline. */
  #gate: HandshakeGate | undefined;
  /** tlsSingleClient: the one client has arrived; its failed handshake, if it failed. */
  #single: boolean;
  #taken = false;
  /** Secured sockets: their TLS details and the endpoints of the socket underneath. */
  #secured = new WeakMap<Socket, { info: TlsInfo; local: Endpoint; remote: Endpoint }>();

  /** @internal Use listen(). */
  constructor(
    server: Server,
    options: ListenOptions,
    context: ErrorContext,
    acceptor?: TlsAcceptor,
  ) {
    this.#server = server;
    this.#acceptor = acceptor;
    this.#onTlsError = options.onTlsError;
    this.#allow = options.allow;
    this.#single = options.tlsSingleClient === true;
    this.#tubeOptions = options.tube ?? {};
    this.#context = context;
    this.#queue = new AcceptQueue({
      limit: options.maxPending ?? options.backlog ?? 511,
      handOut: (socket) => this.#wrap(socket),
      refuse: (socket) => socket.resetAndDestroy(),
      hold: (socket, forget) => {
        // Until someone accepts it, a reset or error on this socket must not crash the process.
        socket.on('error', () => {});
        socket.pause();
        socket.once('close', forget);
      },
      context: () => this.#ctx(),
    });
    if (acceptor) this.#gate = new HandshakeGate(options.handshakes);
    server.on('connection', this.#onConnection);
  }

  /** The bound address, with the real port when port 0 was asked for. */
  address(): Endpoint {
    const info = this.#server.address();
    if (typeof info === 'string') {
      // Linux abstract names come back with their leading NUL; show them as "@name".
      const address = info.startsWith('\0') ? `@${info.slice(1)}` : info;
      return { address, port: 0, family: 0 };
    }
    if (info === null) {
      return { address: this.#context.address ?? '', port: this.#context.port ?? 0, family: 0 };
    }
    return endpointOf(info.address, info.port, info.family);
  }

  get closed(): boolean {
    return this.#queue.closed;
  }

  /** The certificate served, when the listener speaks TLS. */
  get tls(): ListenerTls | undefined {
    const acceptor = this.#acceptor;
    return acceptor
      ? { fingerprint: acceptor.fingerprint, ephemeral: acceptor.ephemeral }
      : undefined;
  }

  /** Connections accepted by the kernel and held here until accept() hands them out. */
  get pending(): number {
    return this.#queue.size;
  }

  /** TLS handshakes in progress (including clients that have not sent their first byte). */
  get handshaking(): number {
    return this.#gate?.size ?? 0;
  }

  /** Wait for the next connection. Cancel safety: safe; a connection is never lost to a timeout. */
  accept(options: AcceptOptions = {}): Promise<Tube> {
    return this.#queue.accept(options);
  }

  /**
   * Hand every connection to `sink` as it is accepted (those already waiting first), instead of
   * to accept() calls: a server that takes every connection (serve()) skips a promise and a
   * waiter per connection. For the rest of the listener's life.
   */
  deliverTo(sink: (tube: Tube) => void): void {
    this.#queue.deliverTo(sink);
  }

  [Symbol.asyncIterator](): AsyncIterator<Tube> {
    return this.#queue[Symbol.asyncIterator]();
  }

  /**
   * Stop listening. Connections accepted but not yet handed out are destroyed; pending accept()
   * calls fail with ClosedError; connections already handed out are not touched. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    for (const socket of this.#queue.close()) socket.destroy();
    this.#gate?.clear();
    // net.Server's close callback waits for every accepted connection to end; ours concerns only
    // the listening socket, whose handle server.close() releases at once.
    this.#server.close();
    this.#closing = Promise.resolve();
    return this.#closing;
  }

  /** Keep (true) or stop (false) the listener from holding the process open. */
  ref(keep = true): void {
    if (keep) this.#server.ref();
    else this.#server.unref();
  }

  #ctx(): ErrorContext {
    const { address, port } = this.address();
    return { ...this.#context, op: 'accept', address, port };
  }

  #wrap(socket: Socket): Tube {
    const secured = this.#secured.get(socket);
    if (this.#context.network === 'unix') {
      // A Unix client is usually unbound (no name); this end is the listening path.
      return new Tube(socket, {
        ...this.#tubeOptions,
        network: 'unix',
        local: this.address(),
        remote: { address: '', port: 0, family: 0 },
        ...(secured ? { tls: secured.info } : {}),
      });
    }
    if (secured) {
      return new Tube(socket, {
        ...this.#tubeOptions,
        network: this.#context.network ?? 'tcp',
        local: secured.local,
        remote: secured.remote,
        tls: secured.info,
      });
    }
    return new Tube(socket, {
      ...this.#tubeOptions,
      network: this.#context.network ?? 'tcp',
      // Found when asked (a getsockname per connection otherwise). Once the socket is closed
      // the kernel can no longer say: the listening address stands in.
      local: () =>
        socket.localAddress === undefined
          ? this.address()
          : endpointOf(socket.localAddress, socket.localPort, socket.localFamily),
      remote: endpointOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily),
    });
  }

  #onConnection = (socket: Socket): void => {
    if (this.#queue.closed) {
      socket.destroy();
      return;
    }
    if (this.#acceptor && this.#gate) {
      this.#handshake(socket, this.#acceptor, this.#gate);
      return;
    }
    this.#queue.deliver(socket);
  };

  /**
   * Run the TLS handshake, then hand the secured socket out like a plain one. The handshake
   * starts once the client's first byte is here (a silent client costs no TLS state), within the
   * gate's bounds.
   */
  #handshake(raw: Socket, acceptor: TlsAcceptor, gate: HandshakeGate): void {
    const remote = endpointOf(raw.remoteAddress, raw.remotePort, raw.remoteFamily);
    if (this.#allow && !this.#allow(remote)) {
      raw.resetAndDestroy();
      return;
    }
    if (this.#single) {
      // ncat's -l: the one client has connected; nobody else gets in, handshake or not.
      if (this.#taken) {
        raw.resetAndDestroy();
        return;
      }
      this.#taken = true;
    }
    const ticket = gate.admit(remote.family === 0 ? '' : remote.address, () => {
      raw.resetAndDestroy();
      // The one client said nothing in time: the wait is over, as for a failed handshake.
      if (this.#single)
        this.#tlsFailed(closedDuringHandshake(peerOf(remote), this.#peerContext(remote)), remote);
    });
    if (!ticket) return;
    const local = endpointOf(raw.localAddress, raw.localPort, raw.localFamily);
    // The TLS socket reports errors from now on; the raw one must never throw unheard.
    raw.on('error', () => {});
    const onGone = () => {
      raw.off('readable', onReadable);
      ticket.release();
    };
    const onReadable = () => {
      raw.off('close', onGone);
      if (raw.readableLength === 0) {
        // End of file before a byte: nothing to shake hands with, reported as TLS would.
        ticket.release();
        raw.destroy();
        this.#tlsFailed(closedDuringHandshake(peerOf(remote), this.#peerContext(remote)), remote);
        return;
      }
      ticket.heard();
      this.#secure(raw, acceptor, ticket.release, { local, remote });
    };
    // 'readable' buffers what arrived without consuming it; the TLS socket reads it from there.
    raw.once('readable', onReadable);
    raw.once('close', onGone);
  }

  #secure(
    raw: Socket,
    acceptor: TlsAcceptor,
    release: () => void,
    ends: { local: Endpoint; remote: Endpoint },
  ): void {
    const { local, remote } = ends;
    acceptor.accept(raw, peerOf(remote), this.#peerContext(remote)).then(
      ({ socket, info }) => {
        release();
        if (this.#queue.closed) {
          socket.destroy();
          return;
        }
        this.#secured.set(socket, { info, local, remote });
        this.#queue.deliver(socket);
      },
      (error: Error) => {
        release();
        this.#tlsFailed(error, remote);
      },
    );
  }

  /** A client's handshake failed: reported, or with tlsSingleClient the end of the wait. */
  #tlsFailed(error: Error, remote: Endpoint): void {
    if (this.#queue.closed) return;
    if (this.#single) {
      // The one client failed: the wait is over (ncat's server ends there).
      this.#queue.fail(error);
      return;
    }
    this.#onTlsError?.(error, remote);
  }

  #peerContext(remote: Endpoint): ErrorContext {
    return { network: this.#context.network ?? 'tcp', address: remote.address, port: remote.port };
  }
}

/** A TLS client as messages name it. */
function peerOf(remote: Endpoint): string {
  return remote.family === 0
    ? remote.address || 'unix socket peer'
    : formatHostPort(remote.address, remote.port);
}

/**
 * Listen for TCP connections. Without a host, a dual-stack socket covers IPv4 and IPv6 (unless
 * `family` forces one). Port 0 picks a free port: read it back with `address()`.
 */
export async function listen(target: TargetInput, options: ListenOptions = {}): Promise<Listener> {
  if (isUnixTarget(target)) return listenUnix(unixSocketPath(target), target.path, options);
  const { host: givenHost, port } = parseTarget(target);
  const { address: host, ipv6Only } = await resolveListenAddress(givenHost, {
    family: options.family ?? 0,
    numericOnly: options.numericOnly ?? false,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const context: ErrorContext = { op: 'listen', network: 'tcp', address: host, port };
  // noDelay here is set by Node as each connection is accepted, cheaper than setNoDelay() after.
  const server = createServer({ allowHalfOpen: true, noDelay: options.noDelay ?? true });
  const name = formatHostPort(givenHost === '' ? host : givenHost, port);
  const acceptor = options.tls ? await tlsAcceptor(options.tls) : undefined;
  const backlog = options.backlog ?? 511;
  if (options.reusePort) {
    try {
      const { listenReusePort } = await import('./reuse-port.js');
      const family = ipFamily(host) === 4 ? 4 : 6;
      await listenReusePort(server, { host, port, family, backlog, ipv6Only });
    } catch (error) {
      server.close();
      if (error instanceof SockcatError) throw error;
      throw new ListenError(`listen on ${name} failed: ${describeSystemError(error)}`, {
        ...context,
        cause: error,
      });
    }
    server.on('error', () => {});
  } else {
    await bindServer(server, { host, port, backlog, ipv6Only }, name, context);
  }
  if (options.socket) {
    try {
      applyListenerOptions(server, options.socket);
    } catch (error) {
      server.close();
      throw error;
    }
  }
  return new Listener(server, options, context, acceptor);
}

async function listenUnix(path: string, shown: string, options: ListenOptions): Promise<Listener> {
  const context: ErrorContext = { op: 'listen', network: 'unix', address: shown };
  const server = createServer({ allowHalfOpen: true });
  const acceptor = options.tls ? await tlsAcceptor(options.tls) : undefined;
  try {
    await bindServer(server, { path, backlog: options.backlog ?? 511 }, shown, context);
  } catch (error) {
    throw missingDirectory(error, path, shown, context) ?? error;
  }
  return new Listener(server, { ...options, noDelay: false }, context, acceptor);
}

/**
 * libuv reports a Unix bind in a missing directory as EACCES (for Windows' sake): say what the
 * kernel said, ENOENT, and which directory is missing. Undefined when that is not the case.
 */
function missingDirectory(
  error: unknown,
  path: string,
  shown: string,
  context: ErrorContext,
): ListenError | undefined {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  if (cause?.code !== 'EACCES' || path.startsWith('\0')) return undefined;
  const directory = dirname(path);
  try {
    statSync(directory);
    return undefined;
  } catch (statError) {
    const code = (statError as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    return new ListenError(
      `listen on ${shown} failed: No such file or directory (the directory ${JSON.stringify(directory)} does not exist)`,
      {
        ...context,
        cause: Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT', syscall: 'bind' }),
      },
    );
  }
}

/** The server side of TLS; node:tls (and, for an ephemeral certificate, x509) load only here. */
async function tlsAcceptor(tls: TlsServerOptions | true): Promise<TlsAcceptor> {
  const { createTlsAcceptor } = await import('../tls/server.js');
  return createTlsAcceptor(tls === true ? {} : tls);
}

/** Listen and turn a failure into a ListenError naming the address. */
async function bindServer(
  server: Server,
  listenOptions: import('node:net').ListenOptions,
  name: string,
  context: ErrorContext,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenOptions, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    server.close();
    throw new ListenError(`listen on ${name} failed: ${describeSystemError(error)}`, {
      ...context,
      cause: error,
    });
  }
  server.on('error', () => {
    // After listening, errors concern single accepts (EMFILE); Node retries them.
  });
}

/**
 * Wrap a net.Server that is already listening (one received from a parent process, or opened on
 * an fd) in a Listener.
 */
export function adoptServer(server: Server, options: ListenOptions = {}): Listener {
  const info = server.address();
  const context: ErrorContext =
    typeof info === 'string'
      ? { op: 'listen', network: 'unix', address: info }
      : { op: 'listen', network: 'tcp', address: info?.address ?? '', port: info?.port ?? 0 };
  server.on('error', () => {});
  return new Listener(server, options, context);
}
