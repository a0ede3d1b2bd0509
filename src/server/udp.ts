import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import { resolveListenAddress } from '../address/resolve.js';
import { describeSystemError, ListenError } from '../errors.js';
import { endpointOf } from '../transports/endpoint.js';
import { parseTarget, type TargetInput } from '../transports/target.js';

/** One received datagram, with a way to answer its sender (socketserver's UDPServer). */
export interface Datagram {
  data: Buffer;
  remote: Endpoint;
  local: Endpoint;
  /** Send a datagram back to the sender from the server's socket. */
  reply(data: string | Uint8Array): Promise<void>;
}

export type DatagramHandler = (datagram: Datagram) => void | Promise<void>;

export interface UdpServeOptions {
  protocol: 'udp';
  /** Port, "host:port" or { host, port }. Without a host: IPv4 and IPv6. */
  listen: TargetInput;
  handler: DatagramHandler;
  family?: 0 | 4 | 6;
  /** Called once per failed handler (default: one line on stderr). */
  onError?: (error: Error, info: { remote: Endpoint; worker: string }) => void;
}

export interface UdpServer {
  address(): Endpoint;
  /** Datagrams handled so far. */
  readonly handled: number;
  /** Stop receiving; resolves once in-flight handlers and replies have finished. Idempotent. */
  close(): Promise<void>;
}

/** Serve datagrams on the event loop: the handler runs once per datagram. */
export async function serveUdp(options: UdpServeOptions): Promise<UdpServer> {
  const { host, port } = parseTarget(options.listen);
  const { address, family, ipv6Only } = await resolveListenAddress(host, {
    family: options.family ?? 0,
  });
  const socket: DgramSocket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new ListenError(
      `listen on udp ${formatHostPort(address, port)} failed: ${describeSystemError(error)}`,
      {
        network: 'udp',
        address,
        port,
        cause: error,
      },
    );
  }
  const bound = socket.address();
  const local = endpointOf(bound.address, bound.port, bound.family);
  const inFlight = new Set<Promise<void>>();
  /** Replies handed to the socket and not yet sent: close() lets them go out first. */
  const sending = new Set<Promise<void>>();
  let handled = 0;
  const onError =
    options.onError ??
    ((error: Error, info: { remote: Endpoint }) =>
      process.stderr.write(
        `sockcat serve (udp): handler failed for ${formatHostPort(info.remote.address, info.remote.port)}: ${error.message}\n`,
      ));
  socket.on('error', () => {
    // ICMP errors (port unreachable for an earlier reply) are not the server's concern.
  });
  socket.on('message', (data, rinfo) => {
    const remote = endpointOf(rinfo.address, rinfo.port, rinfo.family);
    const datagram: Datagram = {
      data,
      remote,
      local,
      reply: (payload) => {
        const sent = new Promise<void>((resolve, reject) => {
          const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
          socket.send(bytes, rinfo.port, rinfo.address, (error) =>
            error ? reject(error) : resolve(),
          );
        });
        const settled = sent.then(
          () => {},
          () => {},
        );
        sending.add(settled);
        void settled.finally(() => sending.delete(settled));
        return sent;
      },
    };
    const run = (async () => {
      try {
        await options.handler(datagram);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)), {
          remote,
          worker: 'main',
        });
      } finally {
        handled++;
      }
    })();
    inFlight.add(run);
    run.finally(() => inFlight.delete(run));
  });
  let closing: Promise<void> | undefined;
  return {
    address: () => local,
    get handled() {
      return handled;
    },
    close() {
      closing ??= (async () => {
        socket.removeAllListeners('message');
        await Promise.all(inFlight);
        // A reply sent last (a DTLS close_notify) would be dropped by closing under it.
        await Promise.all(sending);
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      })();
      return closing;
    },
  };
}
