import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort, unbracket } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { validatePort } from '../address/port.js';
import {
  type Family,
  type LookupFunction,
  resolveHost,
  resolveListenAddress,
} from '../address/resolve.js';
import {
  AbortError,
  ArgumentError,
  ClosedError,
  ConnectError,
  ConnectionRefusedError,
  describeSystemError,
  type ErrorContext,
  ListenError,
  SockcatError,
  TimeoutError,
} from '../errors.js';
import { DatagramInbox } from '../tube/datagram-inbox.js';
import { endpointOf } from './endpoint.js';
import {
  applyDatagramOptions,
  type DatagramSocketOptions,
  validateSocketOptions,
} from './socket-options.js';
import { parseTarget, type TargetInput } from './target.js';

/**
 * The largest UDP payload: 65535 minus the 8-byte UDP header, minus the 20-byte IPv4 header for
 * IPv4 (IPv6's 40-byte header is not counted in its payload length).
 */
export const MAX_UDP_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;

export interface UdpConnectOptions {
  /** Force IPv4 (4) or IPv6 (6); 0 (default): the first address the name resolves to. */
  family?: Family;
  /** Refuse host names, accept only IP literals (ncat's -n). */
  numericOnly?: boolean;
  /** Source address to bind. */
  localAddress?: string;
  /** Source port to bind. */
  localPort?: number;
  /** Datagrams buffered while nobody receives (default 1024); beyond, new ones are dropped. */
  receiveQueue?: number;
  /** Broadcast, multicast, TTL, TOS, buffer sizes, device: see DatagramSocketOptions. */
  socket?: DatagramSocketOptions;
  lookup?: LookupFunction;
  signal?: AbortSignal;
}

export interface UdpRecvOptions {
  /** Milliseconds to wait for a datagram (default: forever). */
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * A UDP socket connected to one peer: it sends only there and receives only from there, and
 * datagram boundaries are kept both ways (one send() is one datagram; one receive is one).
 *
 * An ICMP "port unreachable" answering an earlier datagram fails the connection with
 * ConnectionRefusedError: pending and later receives throw it, and so do later sends.
 */
export class UdpConnection implements AsyncIterable<Buffer> {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly network = 'udp' as const;
  /** Largest datagram send() accepts for this connection's family. */
  readonly maxDatagram: number;

  #socket: DgramSocket;
  readonly #inbox: DatagramInbox;
  #error: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #bytesSent = 0;
  /** The raw peer as the socket sees it (an IPv4-mapped address on a dual-stack socket). */
  #peer: { address: string; port: number };

  /** @internal Use connectUdp() or UdpListener.accept(). */
  constructor(
    socket: DgramSocket,
    peer: { address: string; port: number },
    options: { receiveQueue?: number; first?: Buffer } = {},
  ) {
    this.#socket = socket;
    this.#peer = peer;
    this.#inbox = new DatagramInbox(options.receiveQueue);
    const bound = socket.address();
    this.local = endpointOf(bound.address, bound.port, bound.family);
    this.remote = endpointOf(peer.address, peer.port, ipFamily(peer.address));
    this.maxDatagram = MAX_UDP_PAYLOAD[bound.family === 'IPv6' ? 6 : 4];
    if (options.first) this.#inbox.deliver(options.first);
    socket.on('message', (data, rinfo) => {
      // Datagrams queued from other senders before the socket was connected are not ours.
      if (rinfo.address !== this.#peer.address || rinfo.port !== this.#peer.port) return;
      this.#inbox.deliver(data);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(error));
  }

  get bytesSent(): number {
    return this.#bytesSent;
  }
  get bytesReceived(): number {
    return this.#inbox.bytesReceived;
  }
  /** Datagrams dropped because the receive queue was full. */
  get dropped(): number {
    return this.#inbox.dropped;
  }

  /**
   * Send one datagram. Rejects with ArgumentError when it is larger than `maxDatagram`, with
   * ConnectionRefusedError after an ICMP refusal, with ClosedError after close().
   */
  send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed) {
      return Promise.reject(
        new ClosedError(`send to udp ${this.#name()} failed: the socket is closed`, this.#ctx()),
      );
    }
    if (bytes.length > this.maxDatagram) {
      return Promise.reject(
        new ArgumentError(
          `datagram of ${bytes.length} bytes is larger than the UDP maximum of ${this.maxDatagram}`,
          this.#ctx(),
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#socket.send(bytes, (error) => {
        if (error) {
          const failure = this.#wrap(error as NodeJS.ErrnoException, 'write');
          reject(failure);
          return;
        }
        this.#bytesSent += bytes.length;
        resolve();
      });
    });
  }

  /**
   * Receive one datagram. Resolves undefined once the connection is closed and nothing is left.
   * Cancel safety: on timeout or abort nothing is consumed.
   */
  recv(options: UdpRecvOptions = {}): Promise<Buffer | undefined> {
    return this.#inbox.receive({
      signal: options.signal,
      timeout: options.timeout,
      aborted: () => new AbortError(`receive from udp ${this.#name()} aborted`, this.#ctx()),
      timedOut: (ms) =>
        new TimeoutError(
          `receive from udp ${this.#name()} timed out after ${ms}ms`,
          ms,
          this.#ctx(),
        ),
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const datagram = await this.recv();
      if (datagram === undefined) return;
      yield datagram;
    }
  }

  /** Close the socket; pending receives resolve undefined. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#closed = true;
      this.#inbox.end();
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closing;
  }

  #fail(error: NodeJS.ErrnoException): void {
    if (this.#error || this.#closed) return;
    this.#error = this.#wrap(error, 'read');
    this.#inbox.fail(this.#error);
  }

  #wrap(error: NodeJS.ErrnoException, op: 'read' | 'write'): SockcatError {
    const ctx = { ...this.#ctx(), op, cause: error };
    const detail = describeSystemError(error);
    if (error.code === 'ECONNREFUSED') {
      return new ConnectionRefusedError(
        `udp ${this.#name()} refused the datagrams: ${detail} (ICMP port unreachable)`,
        ctx,
      );
    }
    const verb = op === 'read' ? 'receive from' : 'send to';
    return new ConnectError(`${verb} udp ${this.#name()} failed: ${detail}`, ctx);
  }

  #name(): string {
    return formatHostPort(this.remote.address, this.remote.port);
  }

  #ctx(): ErrorContext {
    return { network: 'udp', address: this.remote.address, port: this.remote.port };
  }
}

/**
 * Open a UDP socket connected to `target`: the host is resolved (the first address of the allowed
 * family is used: UDP has no handshake to try the others with), the source address and port are
 * bound when given, and the socket is connected so that only the peer's datagrams are received.
 */
export async function connectUdp(
  target: TargetInput,
  options: UdpConnectOptions = {},
): Promise<UdpConnection> {
  const { host, port } = parseTarget(target);
  if (host === '') throw new ArgumentError('connect needs a host');
  if (port === 0) throw new ArgumentError('cannot send to udp port 0');
  if (options.localPort !== undefined) validatePort(options.localPort, 'source port');
  if (options.socket) validateSocketOptions(options.socket);
  const localAddress =
    options.localAddress === undefined ? undefined : unbracket(options.localAddress);
  const localFamily = localAddress === undefined ? 0 : ipFamily(localAddress);
  if (localAddress !== undefined && localFamily === 0) {
    throw new ArgumentError(`source address ${JSON.stringify(localAddress)} is not an IP address`);
  }
  if (options.family && localFamily && options.family !== localFamily) {
    throw new ArgumentError(
      `source address ${localAddress} is IPv${localFamily} but IPv${options.family} was requested`,
    );
  }
  const name = formatHostPort(host, port);
  const context: ErrorContext = { op: 'connect', network: 'udp', address: host, port };
  if (options.signal?.aborted) throw new AbortError(`connect to udp ${name} aborted`, context);
  const [chosen] = await resolveHost(host, {
    family: options.family || localFamily,
    numericOnly: options.numericOnly ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const socket = createSocket({ type: chosen!.family === 6 ? 'udp6' : 'udp4' });
  try {
    // Options go on before connect(): connecting to a broadcast address needs SO_BROADCAST, and
    // Node sets options only on a bound socket.
    if (localAddress !== undefined || options.localPort !== undefined || options.socket) {
      await step(socket, (done) =>
        socket.bind(
          {
            port: options.localPort ?? 0,
            ...(localAddress !== undefined ? { address: localAddress } : {}),
          },
          done,
        ),
      );
    }
    if (options.socket) applyDatagramOptions(socket, options.socket);
    await step(socket, (done) => socket.connect(port, chosen!.address, done));
  } catch (error) {
    socket.close();
    if (error instanceof SockcatError) throw error;
    const detail = describeSystemError(error);
    const where = chosen!.address === host ? '' : ` (${chosen!.address})`;
    throw new ConnectError(`connect to udp ${name}${where} failed: ${detail}`, {
      ...context,
      cause: error,
    });
  }
  if (options.signal?.aborted) {
    socket.close();
    throw new AbortError(`connect to udp ${name} aborted`, context);
  }
  return new UdpConnection(
    socket,
    { address: chosen!.address, port },
    options.receiveQueue === undefined ? {} : { receiveQueue: options.receiveQueue },
  );
}

export interface UdpListenOptions {
  /** Without a host: 4 for IPv4 only, 6 for IPv6 only, 0 (default) for both. */
  family?: Family;
  numericOnly?: boolean;
  receiveQueue?: number;
  lookup?: LookupFunction;
}

export interface UdpAcceptOptions {
  signal?: AbortSignal;
  /** Called for each first datagram's sender; false drops the datagram and the wait goes on. */
  allow?: (remote: Endpoint) => boolean;
}

/**
 * A bound UDP socket waiting for its first peer (ncat's `-u -l`): accept() resolves with a
 * UdpConnection to whoever sends the first allowed datagram, that datagram included. The socket
 * is then connected to that peer, so the kernel refuses datagrams from anyone else.
 */
export class UdpListener {
  #socket: DgramSocket;
  #local: Endpoint;
  #receiveQueue: number | undefined;
  #used = false;
  #accepted = false;
  #closed = false;

  /** @internal Use listenUdp(). */
  constructor(socket: DgramSocket, receiveQueue: number | undefined) {
    this.#socket = socket;
    this.#receiveQueue = receiveQueue;
    const bound = socket.address();
    this.#local = endpointOf(bound.address, bound.port, bound.family);
    socket.on('error', () => {
      // ICMP errors before a peer is chosen concern nobody.
    });
  }

  /** The bound address, with the real port when 0 was asked for. */
  address(): Endpoint {
    return this.#local;
  }

  /** Wait for the first allowed datagram. Can be called once; the socket then belongs to it. */
  accept(options: UdpAcceptOptions = {}): Promise<UdpConnection> {
    if (this.#used || this.#closed) {
      return Promise.reject(
        new ClosedError('this UDP listener has already accepted its peer or was closed', {
          op: 'accept',
          network: 'udp',
        }),
      );
    }
    this.#used = true;
    const socket = this.#socket;
    return new Promise<UdpConnection>((resolve, reject) => {
      const signal = options.signal;
      const cleanup = () => {
        socket.off('message', onMessage);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        this.close();
        reject(new AbortError('accept aborted', { op: 'accept', network: 'udp' }));
      };
      const onMessage = (data: Buffer, rinfo: RemoteInfo) => {
        const remote = endpointOf(rinfo.address, rinfo.port, rinfo.family);
        if (options.allow && !options.allow(remote)) return;
        cleanup();
        this.#accepted = true;
        // The connection listens at once, so that nothing the peer sends next is missed while
        // the socket is being connected (it filters other senders until then).
        const connection = new UdpConnection(
          socket,
          { address: rinfo.address, port: rinfo.port },
          {
            first: data,
            ...(this.#receiveQueue === undefined ? {} : { receiveQueue: this.#receiveQueue }),
          },
        );
        socket.connect(rinfo.port, rinfo.address, (error?: Error) => {
          if (!error) return resolve(connection);
          void connection.close();
          reject(
            new ConnectError(
              `connect udp socket to ${formatHostPort(remote.address, remote.port)} failed: ${describeSystemError(error)}`,
              {
                op: 'accept',
                network: 'udp',
                address: remote.address,
                port: remote.port,
                cause: error,
              },
            ),
          );
        });
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('message', onMessage);
    });
  }

  /** Close the socket unless a peer was accepted (it then belongs to the connection). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#accepted) return Promise.resolve();
    return new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/**
 * Bind a UDP socket for one peer. Without a host: the wildcard of the family (dual-stack unless
 * 6 is forced); with one, its first resolved address.
 */
export async function listenUdp(
  target: TargetInput,
  options: UdpListenOptions = {},
): Promise<UdpListener> {
  const { host, port } = parseTarget(target);
  const { address, family, ipv6Only } = await resolveListenAddress(host, {
    family: options.family ?? 0,
    numericOnly: options.numericOnly ?? false,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only });
  try {
    await step(socket, (done) => socket.bind({ address, port }, done));
  } catch (error) {
    socket.close();
    throw new ListenError(
      `listen on udp ${formatHostPort(address, port)} failed: ${describeSystemError(error)}`,
      { network: 'udp', address, port, cause: error },
    );
  }
  return new UdpListener(socket, options.receiveQueue);
}

/** Run one callback-style socket operation, turning its 'error' event into a rejection. */
function step(
  socket: DgramSocket,
  start: (done: (error?: Error | null) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    start((error) => {
      socket.off('error', onError);
      if (error) reject(error);
      else resolve();
    });
  });
}
