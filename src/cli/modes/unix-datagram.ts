import { ArgumentError, ConnectionRefusedError, ListenError } from '../../errors.js';
import type { Message, SocketAddress } from '../../native/message-socket.js';
import { openUnixDatagram, type UnixDatagramSocket } from '../../transports/unix-datagram.js';
import type { Endpoint } from '../../tube/tube.js';
import type { Context } from '../context.js';
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
    this.remote = endpointOf(peer) ?? { address: 'an unbound Unix socket', port: 0, family: 0 };
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

function endpointOf(address: SocketAddress | undefined): Endpoint | undefined {
  if (!address || !('path' in address)) return undefined;
  return { address: address.path === '' ? '' : address.path, port: 0, family: 0 };
}

/**
 * `sockcat -U -u PATH`: a Unix datagram socket connected to PATH, bound to an autobound abstract
 * name so that the peer can answer (ncat binds a temporary file instead), relayed like UDP.
 */
export async function runUnixDatagramConnect(ctx: Context): Promise<void> {
  const path = ctx.options.host ?? '';
  const socket = await openUnixDatagram({ path: '', connect: path });
  ctx.log.info(1, `Connected to ${path}.`);
  await runUdpSession(ctx, new UnixDatagramPeer(socket, { path }), 'connected', 'unix-dgram');
}

/**
 * `sockcat -U -u -l PATH`: bind PATH, wait for the first datagram, then talk with its sender
 * only (the socket is connected to it), like `-u -l`. The socket file is removed at the end.
 */
export async function runUnixDatagramListen(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  if (options.keepOpen) {
    throw new ArgumentError('-k with -U -u (many Unix datagram peers) is not implemented yet');
  }
  const path = options.host ?? '';
  await removeStaleDatagramSocket(path, log.info.bind(log, 2));
  const socket = await openUnixDatagram({ path });
  log.info(1, `Listening on ${path}`);
  ctx.events.emit({ event: 'listening', transport: 'unix-dgram', local: { path } });
  let first: Message;
  try {
    first = await socket.receive(io.signal ? { signal: io.signal } : {});
    // An unbound sender has no name: its data is shown, but nothing can be sent back.
    if (first.from && 'path' in first.from && first.from.path !== '') socket.connect(first.from);
  } catch (error) {
    socket.close();
    throw error;
  }
  const peer = new UnixDatagramPeer(socket, first.from, first);
  log.info(1, `Connection from ${peer.remote?.address}.`);
  await runUdpSession(ctx, peer, 'accepted', 'unix-dgram');
}

/** A datagram socket file nobody receives on (sending is refused) is replaced, as for -U -l. */
async function removeStaleDatagramSocket(path: string, note: (message: string) => void) {
  if (path.startsWith('@')) return;
  const { lstat, unlink } = await import('node:fs/promises');
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return;
  const context = { op: 'listen', network: 'unixgram', address: path } as const;
  if (!stats.isSocket()) {
    throw new ListenError(
      `listen on ${path} failed: ${JSON.stringify(path)} exists and is not a socket (sockcat will not replace it)`,
      context,
    );
  }
  try {
    (await openUnixDatagram({ connect: path })).close();
  } catch (error) {
    if (error instanceof ConnectionRefusedError) {
      await unlink(path).catch(() => {});
      note(`removed stale socket ${path} (nobody was receiving on it)`);
      return;
    }
    return;
  }
  throw new ListenError(
    `listen on ${path} failed: Address already in use (another program is receiving on it)`,
    context,
  );
}
