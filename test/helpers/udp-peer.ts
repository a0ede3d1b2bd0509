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

/** A loopback UDP port nobody listens on a moment ago: datagrams to it are refused. */
export async function closedUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
