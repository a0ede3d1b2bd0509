import type { Endpoint } from '../../address/endpoint.js';
import { AbortError, TimeoutError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { isBrokenPipe, pump, writeChunk } from '../../relay/stream-io.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';
import { closeReasonOf, type Transport } from '../events.js';
import { emitClosed, openSessionEvent, peerName } from './session.js';

/**
 * One connected datagram peer, as the session relays it: a UdpConnection, or a Unix datagram
 * socket connected to its peer (`-U -u`).
 */
export interface DatagramPeer extends AsyncIterable<Buffer> {
  readonly local?: Endpoint | undefined;
  readonly remote?: Endpoint | undefined;
  /** The largest datagram send() takes; longer stdin reads are split. */
  readonly maxDatagram: number;
  send(datagram: Buffer): Promise<void>;
  close(): void | Promise<void>;
  /**
   * DTLS: send close_notify, nothing after it (stdin EOF in listen mode); receiving goes on until
   * the peer's close_notify ends the iteration.
   */
  shutdownSend?(): Promise<void>;
}

/** Why a UDP session ended without an error. */
type UdpEnd = 'stdin-eof' | 'quit-after-eof' | 'stdout-closed' | 'aborted' | 'peer-closed';

/**
 * Cut one read from stdin into datagrams: each read is one datagram, and a read larger than the
 * UDP maximum is split into maximum-size datagrams (the last one shorter).
 */
export function toDatagrams(chunk: Buffer, max: number): Buffer[] {
  if (chunk.length <= max) return [chunk];
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < chunk.length; offset += max) {
    pieces.push(chunk.subarray(offset, offset + max));
  }
  return pieces;
}

/**
 * Relay stdin/stdout with one UDP peer (connect mode, and listen mode without -k), by the UDP
 * rows of docs/eof.md:
 * - every read from stdin is sent as one datagram (split at the UDP maximum); every datagram
 *   received is written to stdout as it is;
 * - stdin EOF: connect mode ends at once (ncat), or after `-q`; listen mode goes on receiving
 *   (ncat), or ends after `-q`;
 * - an ICMP port unreachable ends the session with ConnectionRefusedError (exit 1);
 * - `-i`: no datagram either way for that long ends it with a TimeoutError.
 */
export async function runUdpSession(
  ctx: Context,
  connection: DatagramPeer,
  how: 'connected' | 'accepted',
  transport: Transport = 'udp',
): Promise<void> {
  const { options, io, log, sessionLog } = ctx;
  const started = monotonicMs();
  const id = openSessionEvent(ctx, connection, how, transport);
  let sent = 0;
  let received = 0;
  let input: ReturnType<typeof pump> | undefined;
  let quitTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let onAbort = () => {};

  const outcome = new Promise<UdpEnd>((resolve, reject) => {
    let finished = false;
    const finish = (end: UdpEnd | Error) => {
      if (finished) return;
      finished = true;
      if (end instanceof Error) reject(end);
      else resolve(end);
    };
    onAbort = () => finish('aborted');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (io.signal?.aborted) return finish('aborted');

    const idle = options.idleTimeout;
    if (idle !== undefined) {
      idleTimer = setTimeout(
        () => finish(new TimeoutError(`idle timeout expired (${idle} ms)`, idle, { op: 'read' })),
        idle,
      );
    }
    // A datagram either way starts the idle period again.
    const touch = () => idleTimer?.refresh();

    const stdinEnded = () => {
      const quit = options.quitAfterEof;
      log.info(2, 'EOF on stdin');
      if (options.sendOnly) return finish('stdin-eof');
      if (quit === 0) return finish('quit-after-eof');
      if (quit !== undefined && Number.isFinite(quit)) {
        quitTimer = setTimeout(() => finish('quit-after-eof'), quit);
        return;
      }
      // ncat: connect mode ends at stdin EOF (UDP has no FIN to wait for; DTLS sends its
      // close_notify on the way out); listen mode goes on (DTLS: after its close_notify, which
      // --no-shutdown holds back).
      if (how === 'connected') finish('stdin-eof');
      else if (!options.noShutdown) void connection.shutdownSend?.();
    };

    if (!options.recvOnly) {
      const encode = options.crlf ? createCrlfEncoder() : undefined;
      input = pump(io.stdin, async (read) => {
        const chunk = encode ? encode(read) : read;
        for (const datagram of toDatagrams(chunk, connection.maxDatagram)) {
          if (finished) return;
          sessionLog?.record(datagram);
          await connection.send(datagram);
          sent += datagram.length;
          touch();
          if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
        }
      });
      input.done.then(stdinEnded, (error: Error) => finish(error));
    }

    const receive = async () => {
      for await (const datagram of connection) {
        if (finished) return;
        received += datagram.length;
        touch();
        // --send-only: datagrams are read (an ICMP refusal still ends the session) and dropped.
        if (options.sendOnly) continue;
        sessionLog?.record(datagram);
        await writeChunk(io.stdout, datagram);
      }
    };
    receive().then(
      // Only a DTLS peer ends the datagrams (close_notify); a UDP one never does.
      () => finish('peer-closed'),
      (error: unknown) => finish(isBrokenPipe(error) ? 'stdout-closed' : (error as Error)),
    );
  });

  const closed = (reason: string) => emitClosed(ctx, id, reason, { sent, received }, started);
  try {
    const end = await outcome;
    closed(end);
    if (end === 'aborted') {
      throw new AbortError(`session with ${peerName(connection)} interrupted`, { op: 'read' });
    }
    const seconds = ((monotonicMs() - started) / 1000).toFixed(2);
    log.info(1, `${sent} bytes sent, ${received} bytes received in ${seconds} seconds.`);
    log.info(2, `session with ${peerName(connection)} ended: ${end}`);
  } catch (error) {
    if (!(error instanceof AbortError)) closed(closeReasonOf(error));
    throw error;
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    if (quitTimer) clearTimeout(quitTimer);
    if (idleTimer) clearTimeout(idleTimer);
    input?.stop();
    await connection.close();
  }
}
