import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

export interface Received {
  data: Buffer;
  from: RemoteInfo;
}

/** A node:dgram socket on loopback port 0 that queues what it receives, for tests. */
export interface UdpPeer {
  socket: Socket;
  port: number;
  /** The next datagram (waits for it). */
  next(): Promise<Received>;
  /** The next 'error' event (an ICMP refusal on a connected socket, for example). */
  nextError(): Promise<NodeJS.ErrnoException>;
  send(data: string | Buffer, port: number, host?: string): Promise<void>;
}

export async function udpPeer(t: TestContext, host = '127.0.0.1'): Promise<UdpPeer> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const queue: Received[] = [];
  const waiters: Array<(received: Received) => void> = [];
  const errors: NodeJS.ErrnoException[] = [];
  const errorWaiters: Array<(error: NodeJS.ErrnoException) => void> = [];
  socket.on('message', (data, from) => {
    const waiter = waiters.shift();
    if (waiter) waiter({ data, from });
    else queue.push({ data, from });
  });
  socket.on('error', (error) => {
    const waiter = errorWaiters.shift();
    if (waiter) waiter(error);
    else errors.push(error);
  });
  socket.bind(0, host);
  await once(socket, 'listening');
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    socket,
    port: socket.address().port,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
    nextError: () => {
      const queued = errors.shift();
      return queued
        ? Promise.resolve(queued)
        : new Promise((resolve) => errorWaiters.push(resolve));
    },
    send: (data, port, to = host) =>
      new Promise<void>((resolve, reject) =>
        socket.send(data, port, to, (error) => (error ? reject(error) : resolve())),
      ),
  };
}

/**
 * A loopback UDP port where datagrams are refused (ICMP port unreachable), and stay refused for
 * the rest of the test process: a socket bound there is connected to itself, so the kernel
 * delivers it nothing but its own datagrams (it sends none) and refuses everyone else's, while
 * no other socket can bind the port. Unreferenced, so it keeps no test process alive.
 */
export async function closedUdpPort(host = '127.0.0.1'): Promise<number> {
  return holdUdpPort(host, false);
}

/**
 * A loopback UDP port for a peer that binds it later with SO_REUSEADDR (ncat does, for -u -l):
 * held as closedUdpPort()'s are, but with SO_REUSEADDR, which lets that peer bind it too while
 * the kernel hands the held socket (connected to itself) none of the peer's datagrams. Refused
 * until the peer is up.
 */
export async function udpPortToBindLater(host = '127.0.0.1'): Promise<number> {
  return holdUdpPort(host, true);
}

/**
 * A loopback UDP port nobody used a moment ago, as a source port to bind: another process may
 * take it first, so not for a refused destination (closedUdpPort()).
 */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function holdUdpPort(host: string, reuseAddr: boolean): Promise<number> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr });
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  socket.connect(port, host);
  await once(socket, 'connect');
  socket.unref();
  return port;
}
