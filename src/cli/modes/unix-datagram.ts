import type { Endpoint } from '../../address/endpoint.js';
import { ArgumentError, ConnectError } from '../../errors.js';
import { writeChunk } from '../../relay/stream-io.js';
import type { Message, SocketAddress } from '../../transports/message-socket.js';
import { openUnixDatagram, type UnixDatagramSocket } from '../../transports/unix-datagram.js';
import type { Context } from '../context.js';
import { closeReasonOf } from '../events.js';
import { prepareUnixListenPath } from '../unix-path.js';
import { runDatagramKeepOpen } from './datagram-keep-open.js';
import type { ExecMode } from './exec.js';
import { type DatagramPeer, runUdpSession } from './udp-session.js';

/** Unix datagrams longer than this are split (the default socket buffer takes ~208 KiB). */
const MAX_UNIX_DATAGRAM = 65_536;

/** A connected Unix datagram socket as the datagram session relays it. */
class UnixDatagramPeer implements DatagramPeer {
  readonly maxDatagram = MAX_UNIX_DATAGRAM;
  readonly local: Endpoint | undefined;
  readonly remote: Endpoint | undefined;
  #socket: UnixDatagramSocket;
  #first: Message | undefined;
  #replyTo: SocketAddress | undefined;

  /** `first`: a message already received (listen mode), delivered before the others. */
  constructor(socket: UnixDatagramSocket, peer: SocketAddress | undefined, first?: Message) {
    this.#socket = socket;
    this.#first = first;
    this.#replyTo = peer;
    this.local = endpointOf(socket.local);
    this.remote = endpointOf(peer) ?? UNBOUND;
  }

  send(datagram: Buffer): Promise<void> {
    if (!this.#replyTo) {
      return Promise.reject(
        new ArgumentError(
          'the Unix datagram peer is not bound to a name: it cannot receive (use --recv-only)',
        ),
      );
    }
    return this.#socket.send(datagram);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#first) {
      const first = this.#first;
      this.#first = undefined;
      yield first.data;
    }
    for await (const message of this.#socket) yield message.data;
  }

  close(): void {
    this.#socket.close();
  }
}

/** How an unbound sender is named in messages. */
const UNBOUND: Endpoint = { address: 'an unbound Unix socket', port: 0, family: 0 };

function endpointOf(address: SocketAddress | undefined): Endpoint | undefined {
  if (!address || !('path' in address)) return undefined;
  return { address: address.path === '' ? '' : address.path, port: 0, family: 0 };
}

/** -e/-c/--js-exec/--lua-exec, prepared before anything is bound (a bad module: exit 2). */
async function prepare(ctx: Context): Promise<ExecMode | undefined> {
  const spec = ctx.options.exec;
  return spec ? (await import('./exec.js')).prepareExec(ctx, spec) : undefined;
}

/** Relay one peer: with its command (as -u -e), else with stdin/stdout. */
async function relay(
  ctx: Context,
  exec: ExecMode | undefined,
  peer: UnixDatagramPeer,
  how: 'connected' | 'accepted',
): Promise<void> {
  if (!exec) return runUdpSession(ctx, peer, how, 'unix-dgram');
  const { datagramTube } = await import('./datagram-tube.js');
  await exec.session(datagramTube(peer, 'unixgram'), how);
}

/**
 * `sockcat -U -u PATH`: a Unix datagram socket connected to PATH, bound to an autobound abstract
 * name so that the peer can answer (ncat binds a temporary file instead), or to `-s SOURCE`,
 * relayed like UDP (or with the command of -e/-c/--js-exec/--lua-exec).
 */
export async function runUnixDatagramConnect(ctx: Context): Promise<void> {
  const path = ctx.options.host ?? '';
  const exec = await prepare(ctx);
  // -s PATH: bound there (a stale socket file is replaced; the file goes at the end).
  const source = ctx.options.sourcePath;
  if (source !== undefined) await prepareUnixListenPath(source, ctx.log, 'datagram');
  const socket = await openUnixDatagram({ path: source ?? '', connect: path });
  ctx.log.info(1, `Connected to ${path}.`);
  await relay(ctx, exec, new UnixDatagramPeer(socket, { path }), 'connected');
}

/**
 * `sockcat -U -u -l PATH`: bind PATH, wait for the first datagram, then talk with its sender
 * only (the socket is connected to it), like `-u -l`. With -k: many peers, see
 * runUnixDatagramKeepOpen. The socket file is removed at the end.
 *
 * With a command (-e, ...): the first sender bound to a name gets it. An unbound sender cannot
 * be answered, so no command runs for it: its datagrams are dropped (said at -v).
 */
export async function runUnixDatagramListen(ctx: Context): Promise<void> {
  if (ctx.plan.multiplicity === 'keep-open') return runUnixDatagramKeepOpen(ctx);
  const { io, log } = ctx;
  const exec = await prepare(ctx);
  const socket = await bindListener(ctx);
  let first: Message;
  try {
    for (;;) {
      first = await socket.receive(io.signal ? { signal: io.signal } : {});
      if (!exec || nameOf(first.from) !== undefined) break;
      log.info(
        1,
        `datagram from ${UNBOUND.address} dropped: it cannot be answered, so no command runs for it`,
      );
    }
  } catch (error) {
    socket.close();
    throw error;
  }
  // An unbound sender has no name: its data is shown, but nothing can be sent back.
  const name = nameOf(first.from);
  if (name !== undefined) {
    try {
      socket.connect(first.from!);
    } catch (error) {
      // The sender is gone already (socat's UNIX-SENDTO removes its path at once): what it sent
      // is still written out, then the reply path's failure is reported (ncat loses the datagram).
      socket.close();
      ctx.sessionLog?.record(first.data);
      if (!ctx.options.sendOnly) await writeChunk(io.stdout, first.data);
      const why = error instanceof Error ? error.message.replace(/^.* failed: /, '') : '';
      throw new ConnectError(
        `cannot reply to ${name}: ${why} (the datagram it sent was written to stdout)`,
        { op: 'connect', network: 'unixgram', address: name, cause: error },
      );
    }
  }
  const peer = new UnixDatagramPeer(socket, first.from, first);
  log.info(1, `Connection from ${peer.remote?.address}.`);
  await relay(ctx, exec, peer, 'accepted');
}

/**
 * `sockcat -U -u -l -k PATH`: many peers on one socket, as `-u -l -k` (runDatagramKeepOpen),
 * each keyed by its socket's name, each with its own command under -e/-c/--js-exec/--lua-exec.
 * An unbound sender cannot be answered: it gets no session (and no command); its datagrams are
 * shown (with a command: dropped, said at -v).
 */
async function runUnixDatagramKeepOpen(ctx: Context): Promise<void> {
  await runDatagramKeepOpen(ctx, {
    transport: 'unix-dgram',
    peerGone: replyFailure,
    open: async ({ deliver, fail }) => {
      const socket = await bindListener(ctx);
      const local = endpointOf(socket.local);
      const receiving = (async () => {
        for await (const message of socket) {
          const name = nameOf(message.from);
          await deliver(message.data, {
            key: name,
            remote: endpointOf(message.from) ?? UNBOUND,
            local,
            reply: (datagram, signal) => socket.send(datagram, { path: name ?? '' }, { signal }),
          });
        }
      })();
      receiving.catch((error: Error) => fail(error));
      return {
        maxDatagram: MAX_UNIX_DATAGRAM,
        close: async () => {
          socket.close();
          await receiving.catch(() => {});
        },
      };
    },
  });
}

/**
 * A reply that could not be sent ends that peer's session: its socket is gone (`refused`, also
 * when its file was removed), or some other error says why.
 */
function replyFailure(error: unknown): string {
  const gone =
    error instanceof ConnectError &&
    (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return gone ? 'refused' : closeReasonOf(error);
}

/** Bind PATH for listening (a stale socket file is replaced) and report `listening`. */
async function bindListener(ctx: Context): Promise<UnixDatagramSocket> {
  const path = ctx.options.host ?? '';
  await prepareUnixListenPath(path, ctx.log, 'datagram');
  const socket = await openUnixDatagram({ path });
  ctx.log.info(1, `Listening on ${path}`);
  ctx.events.emit({ event: 'listening', transport: 'unix-dgram', local: { path } });
  return socket;
}

/** The sender's name, or undefined for an unbound socket (it cannot be answered). */
function nameOf(address: SocketAddress | undefined): string | undefined {
  return address && 'path' in address && address.path !== '' ? address.path : undefined;
}
