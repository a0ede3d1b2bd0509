import { AbortError, SockcatError } from '../../errors.js';
import { escapeControls, LineSplitter } from '../../relay/chat-text.js';
import { createTelnetParser } from '../../relay/telnet.js';
import { serve } from '../../server/serve.js';
import type { Tube } from '../../tube/tube.js';
import { allowOption, buildHostFilter } from '../access.js';
import { monotonicMs } from '../clock.js';
import { ConnectionLimit } from '../connection-limit.js';
import type { Context } from '../context.js';
import { progressMeterFor } from '../progress.js';
import { serveHost } from './listen.js';
import { logListening } from './listening.js';
import { emitTubeClosed, openSessionEvent, peerName } from './session.js';
import { fanOutStdin } from './stdin-fan-out.js';
import { answerTelnet } from './telnet-answer.js';
import { serveWebSocketOptions } from './websocket.js';

/**
 * Bytes that may wait for one client beyond what its socket holds. A client that falls further
 * behind is disconnected ("slow consumer"): one client that stops reading must neither grow the
 * broker's memory without bound nor hold up the others for long (see SLOW_CONSUMER_GRACE_MS).
 */
export const MAX_PENDING_PER_CLIENT = 1024 * 1024;
/**
 * Senders (clients and stdin) are read from only while no receiver has this much waiting: the
 * broker goes at the pace of its slowest receiver (backpressure), so a receiver that is merely
 * slower is never dropped...
 */
export const SENDER_PAUSE_AT = 64 * 1024;
/**
 * ...unless it holds the senders back this long (its queue never fell below SENDER_PAUSE_AT).
 * Then the senders go on without it: it catches up, or its queue reaches MAX_PENDING_PER_CLIENT
 * and it is cut off. One client that stops reading stalls the others for this long at most.
 */
export const SLOW_CONSUMER_GRACE_MS = 1000;
/** A chat line still unfinished at this many bytes is sent as it is, with its prefix. */
export const MAX_CHAT_LINE = 16 * 1024;
/** Receive buffer of each client's tube: what it sends is forwarded at once, so keep it small. */
const CLIENT_READ_BUFFER = 64 * 1024;

type StopReason = 'aborted' | 'quit-after-eof';

/** One connected client: its tube and the bounded queue of what waits to be sent to it. */
class Client {
  readonly tube: Tube;
  /** The --json session id. */
  readonly id: number;
  /** The chat name, `<user1>`, `<user2>`, ... */
  readonly name: string;
  readonly peer: string;
  /** Set when the broker cuts the connection itself ('slow-consumer'). */
  reason: string | undefined;
  /** False once it left, was cut off, or stops receiving. */
  receiving = true;
  /** When its queue last reached SENDER_PAUSE_AT (monotonicMs()); undefined while below. */
  behindSince: number | undefined;
  #queue: Buffer[] = [];
  #queued = 0;
  #writing = false;
  #onProgress: () => void;

  constructor(tube: Tube, id: number, user: number, onProgress: () => void) {
    this.tube = tube;
    this.id = id;
    this.name = `<user${user}>`;
    this.peer = peerName(tube);
    this.#onProgress = onProgress;
  }

  /** Bytes waiting in the broker for this client (not yet handed to its socket). */
  get queued(): number {
    return this.#queued;
  }

  /** Queue a chunk; false (and nothing queued) when that would pass MAX_PENDING_PER_CLIENT. */
  enqueue(chunk: Buffer): boolean {
    if (this.#queued + chunk.length > MAX_PENDING_PER_CLIENT) return false;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= SENDER_PAUSE_AT) this.behindSince ??= monotonicMs();
    if (!this.#writing) void this.#write();
    return true;
  }

  /** Hand everything queued to the socket at once (it leaves: its graceful close flushes it). */
  release(): void {
    this.receiving = false;
    this.behindSince = undefined;
    const rest = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    for (const chunk of rest) this.tube.send(chunk).catch(() => {});
  }

  /** Forget what is queued (the connection is being destroyed). */
  discard(): void {
    this.receiving = false;
    this.behindSince = undefined;
    this.#queue = [];
    this.#queued = 0;
  }

  async #write(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const chunk = this.#queue.shift()!;
        this.#queued -= chunk.length;
        // Resolves at once while the socket has room, else when it drains (backpressure).
        await this.tube.send(chunk);
        if (this.#queued < SENDER_PAUSE_AT && this.behindSince !== undefined) {
          this.behindSince = undefined;
          this.#onProgress();
        }
      }
    } catch {
      // The connection failed; its reader sees that and ends the session.
      this.discard();
    } finally {
      this.#writing = false;
    }
  }
}

/**
 * `sockcat --broker` / `--chat`: accept clients until interrupted (-k is implied) and send what
 * each one sends to all the others, as ncat does; stdin goes to every client, and nothing goes to
 * stdout. --chat adds names (`<user1> ...`), join and leave announcements, and escapes control
 * characters. Built as a handler on the public serve(). See docs/cli.md ("Broker and chat").
 */
export async function runBroker(ctx: Context): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const chat = ctx.plan.multiplicity === 'chat';
  const host = await serveHost(options);
  const filter = await buildHostFilter(options);
  const tls = ctx.plan.security === 'tls' ? await import('../tls.js') : undefined;
  const clients = new Set<Client>();
  const limit = new ConnectionLimit(ctx, ctx.plan.transport === 'websocket' ? 'websocket' : 'tcp');
  // --progress: one meter for the whole run, every client's bytes together.
  const meter = progressMeterFor(options.progress, io.stderr);
  let nextUser = 1;
  let stopping: StopReason | undefined;
  let stopRun!: (reason: StopReason) => void;
  const stopped = new Promise<StopReason>((resolve) => {
    stopRun = resolve;
  });

  // ---- fan-out with per-client bounds ------------------------------------------------------
  const roomWaiters: { from: Client | undefined; resolve: () => void }[] = [];
  let graceTimer: NodeJS.Timeout | undefined;
  /**
   * Until when receivers behind hold `from` back: the last end of their grace periods (they may
   * catch up sooner); undefined when none is behind.
   */
  const heldUntil = (from: Client | undefined): number | undefined => {
    let until: number | undefined;
    for (const client of clients) {
      if (client === from || client.behindSince === undefined || !client.receiving) continue;
      const end = client.behindSince + SLOW_CONSUMER_GRACE_MS;
      if (until === undefined || end > until) until = end;
    }
    return until;
  };
  const hasRoom = (from: Client | undefined): boolean => {
    const until = heldUntil(from);
    return until === undefined || until <= monotonicMs();
  };
  const wakeSenders = () => {
    if (roomWaiters.length === 0) return;
    clearTimeout(graceTimer);
    graceTimer = undefined;
    for (let i = 0; i < roomWaiters.length; ) {
      const waiter = roomWaiters[i]!;
      if (hasRoom(waiter.from)) {
        roomWaiters.splice(i, 1);
        waiter.resolve();
      } else i++;
    }
    // Senders still held: look again when the earliest grace period ends.
    let next: number | undefined;
    for (const waiter of roomWaiters) {
      const until = heldUntil(waiter.from);
      if (until !== undefined && (next === undefined || until < next)) next = until;
    }
    if (next !== undefined) {
      graceTimer = setTimeout(wakeSenders, Math.max(1, next - monotonicMs()));
    }
  };
  /** Resolves when the sender may go on (no receiver within its grace period is behind). */
  const room = (from: Client | undefined): Promise<void> | undefined => {
    if (hasRoom(from)) return undefined;
    return new Promise((resolve) => {
      roomWaiters.push({ from, resolve });
      if (graceTimer === undefined) wakeSenders();
    });
  };
  const cutOff = (client: Client) => {
    client.reason = 'slow-consumer';
    client.discard();
    log.info(
      1,
      `Closing connection from ${client.peer}: slow consumer (more than ${MAX_PENDING_PER_CLIENT} bytes waiting for it)`,
    );
    // A reset where the transport can: bytes were lost, the client must not take it for an end.
    client.tube.reset();
    wakeSenders();
  };
  /** Queue `message` for every client but `from`; record it once in -o/-x, as ncat does. */
  const broadcast = (message: Buffer, from?: Client) => {
    if (message.length === 0) return;
    sessionLog?.record(message);
    if (options.recvOnly) return;
    for (const client of clients) {
      if (client === from || !client.receiving) continue;
      if (client.enqueue(message)) meter?.sent(message.length);
      else cutOff(client);
    }
  };
  const announce = (text: string) => broadcast(Buffer.from(`<announce> ${text}\n`, 'utf8'));
  /** What a sender's bytes become: as they are, or prefixed lines with controls escaped. */
  const messagesOf = (
    name: string,
    splitter: LineSplitter | undefined,
    chunk: Buffer | undefined,
  ): Buffer[] => {
    if (!splitter) return chunk ? [chunk] : [];
    const lines = chunk ? splitter.push(chunk) : [splitter.flush()].filter((l) => l !== undefined);
    const prefix = Buffer.from(`${name} `, 'latin1');
    return lines.map((line) => Buffer.concat([prefix, escapeControls(line)]));
  };

  // ---- the handler ---------------------------------------------------------------------------
  const reasonOf = (error: unknown): string => {
    const code = error instanceof SockcatError ? error.code : undefined;
    if (code === 'SOCKCAT_RESET') return 'reset';
    if (code === 'SOCKCAT_TIMEOUT') return 'idle-timeout';
    if (code === 'SOCKCAT_CLOSED') return 'closed';
    return code ?? 'error';
  };
  const handler = async (tube: Tube) => {
    // -m, as ncat: accepted, then closed with FIN; the handler's return closes it.
    if (!limit.tryEnter(tube.remote)) return;
    const started = monotonicMs();
    const id = openSessionEvent(ctx, tube, 'accepted');
    const client = new Client(tube, id, nextUser++, wakeSenders);
    log.info(1, `Connection from ${client.peer}${chat ? ` as ${client.name}` : ''}.`);
    tls?.reportAcceptedTls(ctx, tube);
    const others = [...clients];
    clients.add(client);
    // A newcomer has room: senders held back by the others may go on.
    wakeSenders();
    if (chat) {
      const address = tube.remote?.address ?? 'peer';
      const list = others.map((c) => `${c.tube.remote?.address ?? 'peer'} as ${c.name}`);
      announce(`${address} is connected as ${client.name}.`);
      announce(`already connected: ${list.length > 0 ? list.join(', ') : 'nobody'}.`);
    }
    const splitter = chat ? new LineSplitter(MAX_CHAT_LINE) : undefined;
    // -t: each client's Telnet negotiations are answered (refused) and kept from the others.
    const telnet = options.telnet ? createTelnetParser() : undefined;
    let reason = 'peer-eof';
    try {
      for await (const chunk of tube) {
        sessionLog?.record(chunk);
        meter?.received(chunk.length);
        const data = await answerTelnet(telnet, chunk, tube, sessionLog);
        // As ncat: --send-only ignores what clients send; --recv-only sends nothing to them.
        if (options.sendOnly || data.length === 0) continue;
        for (const message of messagesOf(client.name, splitter, data)) broadcast(message, client);
        const wait = room(client);
        if (wait) await wait;
      }
    } catch (error) {
      reason = client.reason ?? stopping ?? reasonOf(error);
    } finally {
      clients.delete(client);
      limit.leave();
      if (!options.sendOnly) {
        for (const message of messagesOf(client.name, splitter, undefined)) {
          broadcast(message, client);
        }
      }
      if (chat) announce(`${client.name} is disconnected.`);
      // What was queued for it still goes out; the graceful close after the handler flushes it.
      if (reason === 'peer-eof') client.release();
      else client.discard();
      wakeSenders();
      log.info(2, `Connection from ${client.peer} closed: ${reason}`);
      emitTubeClosed(ctx, id, reason, tube, started);
    }
  };

  const server = await serve({
    ...(ctx.options.socket ? { socket: ctx.options.socket } : {}),
    listen: { host, port: options.port },
    family: options.family,
    tube: { highWaterMark: CLIENT_READ_BUFFER },
    ...allowOption(ctx, filter),
    ...tls?.serveTlsOptions(ctx),
    ...serveWebSocketOptions(ctx),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    handler,
    onError: (error) => log.info(1, error.message),
  });
  tls?.reportListenerTls(ctx, server.tls);
  logListening(ctx, server.address());

  // ---- stdin: to every client, as <user0> in chat -------------------------------------------
  // Stdin's end changes nothing for the clients (as ncat); -q ends the broker.
  const splitter = chat ? new LineSplitter(MAX_CHAT_LINE) : undefined;
  const input = fanOutStdin(ctx, {
    messages: (read) => messagesOf('<user0>', splitter, read),
    deliver: async (message) => {
      broadcast(message);
      const wait = room(undefined);
      if (wait) await wait;
    },
    quit: () => stopRun('quit-after-eof'),
  });

  const onAbort = () => stopRun('aborted');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const reason = await stopped;
  stopping = reason;
  io.signal?.removeEventListener('abort', onAbort);
  input?.stop();
  meter?.finish();
  clearTimeout(graceTimer);
  for (const waiter of roomWaiters.splice(0)) waiter.resolve();
  await server.close({ gracePeriod: 0 });
  if (reason === 'aborted') throw new AbortError('interrupted', { op: 'accept' });
}
