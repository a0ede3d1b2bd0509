import type { Endpoint } from '../../address/endpoint.js';
import { AbortError, type SockcatError } from '../../errors.js';
import { serve } from '../../server/serve.js';
import type { DtlsAcceptor, DtlsSender } from '../../tls/dtls-acceptor.js';
import type { DtlsConnection } from '../../tls/dtls-connection.js';
import { buildHostFilter, reportDenied } from '../access.js';
import type { Context } from '../context.js';
import {
  reportAcceptedTls,
  reportListenerTls,
  reportTlsFailure,
  serverTlsOptions,
  withoutKeyLog,
} from '../tls.js';
import { runDatagramKeepOpen } from './datagram-keep-open.js';
import { serveHost } from './listen.js';
import { logListening } from './listening.js';
import { peerName } from './session.js';
import { runUdpSession } from './udp-session.js';

/** The DTLS server side for -u -l --ssl: the --ssl-* options, or the temporary certificate. */
async function acceptorFor(ctx: Context): Promise<DtlsAcceptor> {
  const { createDtlsAcceptor } = await import('../../tls/dtls-acceptor.js');
  const acceptor = await createDtlsAcceptor({
    ...withoutKeyLog(ctx, serverTlsOptions(ctx) ?? {}),
    maxHalfOpen: Math.max(ctx.options.maxConns, 1),
  });
  reportListenerTls(ctx, acceptor);
  return acceptor;
}

/** The UDP socket, feeding every allowed sender's datagrams to the acceptor. */
async function bind(ctx: Context, acceptor: DtlsAcceptor, allows?: (remote: Endpoint) => boolean) {
  const { options, log } = ctx;
  const host = await serveHost(options);
  const server = await serve({
    protocol: 'udp',
    listen: { host, port: options.port },
    family: options.family,
    handler: (datagram) => {
      if (allows && !allows(datagram.remote)) {
        reportDenied(ctx, datagram.remote, { transport: 'udp' });
        return;
      }
      const sender: DtlsSender = {
        remote: datagram.remote,
        local: datagram.local,
        reply: (data) => datagram.reply(data),
      };
      acceptor.receive(datagram.data, sender);
    },
    onError: (error) => log.info(1, error.message),
  });
  logListening(ctx, server.address(), 'udp');
  return server;
}

/**
 * `-u -l --ssl`: DTLS with the first peer that completes a handshake (cookie exchange first, so
 * that a spoofed first datagram cannot take the listener), then stdin/stdout (or the command)
 * with that peer only. As TLS without -k, a failed handshake ends the run.
 */
export async function runDtlsListen(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const filter = await buildHostFilter(options);
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const acceptor = await acceptorFor(ctx);
  const server = await bind(ctx, acceptor, filter && ((remote) => filter.allows(remote.address)));
  exec?.listening(server.address());
  let connection: DtlsConnection | undefined;
  try {
    connection = await new Promise<DtlsConnection>((resolve, reject) => {
      const onAbort = () =>
        reject(new AbortError('accept aborted', { op: 'accept', network: 'udp' }));
      if (io.signal?.aborted) return onAbort();
      io.signal?.addEventListener('abort', onAbort, { once: true });
      acceptor.onConnection = (accepted) => {
        io.signal?.removeEventListener('abort', onAbort);
        acceptor.stopAccepting();
        resolve(accepted);
      };
      acceptor.onFailure = (error: SockcatError) => {
        io.signal?.removeEventListener('abort', onAbort);
        acceptor.stopAccepting();
        reject(error);
      };
      acceptor.onBusy = (remote) =>
        log.info(1, `DTLS handshake from ${peerName({ remote })} dropped: too many under way`);
    });
    log.info(1, `Connection from ${peerName(connection)}.`);
    reportAcceptedTls(ctx, connection);
    if (exec) {
      const { datagramTube } = await import('./datagram-tube.js');
      await exec.session(datagramTube(connection, 'udp'), 'accepted');
    } else {
      await runUdpSession(ctx, connection, 'accepted');
    }
  } finally {
    await connection?.close();
    await acceptor.close();
    await server.close();
  }
}

/**
 * `-u -l -k --ssl`: a DTLS session per peer, in the same table (and with the same expiry and
 * -m) as UDP -k; a peer's session starts when its handshake is done, and ends with its
 * close_notify, its expiry, or sockcat's end (close_notify to each).
 */
export async function runDtlsKeepOpen(ctx: Context): Promise<void> {
  const { options } = ctx;
  const filter = await buildHostFilter(options);
  const acceptor = await acceptorFor(ctx);
  const connections = new Map<string, DtlsConnection>();
  await runDatagramKeepOpen(ctx, {
    transport: 'udp',
    allows: filter ? (remote) => filter.allows(remote.address) : undefined,
    ended: (key) => {
      const connection = connections.get(key);
      connections.delete(key);
      void connection?.close();
    },
    open: async (sink) => {
      acceptor.onFailure = (error) => reportTlsFailure(ctx, error);
      acceptor.onBusy = (remote) =>
        ctx.log.info(1, `DTLS handshake from ${peerName({ remote })} dropped: too many under way`);
      acceptor.onConnection = (connection) => {
        const key = `${connection.remote.address}|${connection.remote.port}`;
        const sender = {
          key,
          remote: connection.remote,
          local: connection.local,
          reply: (datagram: Buffer) => connection.send(datagram),
        };
        if (!sink.admit(sender)) {
          void connection.close();
          return;
        }
        connections.set(key, connection);
        reportAcceptedTls(ctx, connection);
        void (async () => {
          try {
            for await (const datagram of connection) await sink.deliver(datagram, sender);
            sink.end(key, 'peer-closed');
          } catch (error) {
            ctx.log.info(1, (error as Error).message);
            sink.end(key, 'error');
          }
        })();
      };
      const server = await bind(
        ctx,
        acceptor,
        filter && ((remote) => filter.allows(remote.address)),
      );
      return {
        // Records are cut to the DTLS record size by the session itself.
        maxDatagram: 16_384,
        bound: server.address(),
        close: async () => {
          await acceptor.close();
          await server.close();
        },
      };
    },
  });
}
