import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import type { DtlsServerOptions } from '../tls/dtls-acceptor.js';
import type { DtlsConnection } from '../tls/dtls-connection.js';
import type { TargetInput } from '../transports/target.js';
import { serveUdp, type UdpServer } from './udp.js';

/** A handler for one DTLS peer: its session as a datagram connection, closed when it returns. */
export type DtlsHandler = (connection: DtlsConnection) => void | Promise<void>;

export interface DtlsServeOptions {
  protocol: 'udp';
  /** Port, "host:port" or { host, port }. Without a host: IPv4 and IPv6. */
  listen: TargetInput;
  /** DTLS (`true`: a temporary ECDSA certificate, no client certificates). */
  tls: DtlsServerOptions | true;
  handler: DtlsHandler;
  family?: 0 | 4 | 6;
  /** Called once per failed handler or failed handshake (default: one line on stderr). */
  onError?: (error: Error, info: { remote: Endpoint; worker: string }) => void;
}

export interface DtlsServer extends UdpServer {
  /** SHA-256 fingerprint of the server's certificate (colon hex). */
  readonly fingerprint: string;
}

/**
 * Serve DTLS peers on one UDP socket, on the event loop: each peer that completes a handshake
 * (after the cookie exchange) gets the handler once, with its session; the session is closed
 * (close_notify) when the handler returns or throws.
 */
export async function serveDtls(options: DtlsServeOptions): Promise<DtlsServer> {
  const { createDtlsAcceptor } = await import('../tls/dtls-acceptor.js');
  const acceptor = await createDtlsAcceptor(options.tls === true ? {} : options.tls);
  const onError =
    options.onError ??
    ((error: Error, info: { remote: Endpoint }) =>
      process.stderr.write(
        `sockcat serve (dtls): ${formatHostPort(info.remote.address, info.remote.port)}: ${error.message}\n`,
      ));
  const running = new Set<Promise<void>>();
  let handled = 0;
  acceptor.onFailure = (error, remote) => onError(error, { remote, worker: 'main' });
  acceptor.onConnection = (connection) => {
    const run = (async () => {
      try {
        await options.handler(connection);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)), {
          remote: connection.remote,
          worker: 'main',
        });
      } finally {
        handled++;
        await connection.close();
      }
    })();
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  const server = await serveUdp({
    protocol: 'udp',
    listen: options.listen,
    ...(options.family !== undefined ? { family: options.family } : {}),
    handler: (datagram) =>
      acceptor.receive(datagram.data, {
        remote: datagram.remote,
        local: datagram.local,
        reply: (data) => datagram.reply(data),
      }),
  });
  let closing: Promise<void> | undefined;
  return {
    fingerprint: acceptor.fingerprint,
    address: () => server.address(),
    get handled() {
      return handled;
    },
    close() {
      closing ??= (async () => {
        await acceptor.close();
        await Promise.all(running);
        await server.close();
      })();
      return closing;
    },
  };
}
