import { createCrlfEncoder } from '../../relay/crlf.js';
import { pump } from '../../relay/stream-io.js';
import type { Context } from '../context.js';

/** What a many-peer mode does with what its stdin fan-out reads. */
export interface FanOutTarget {
  /**
   * What one read (after -C) is sent as: datagrams of at most the maximum size, chat lines, or
   * the read itself (the default). Called with undefined at stdin's end, for what a splitter
   * still holds.
   */
  messages?(read: Buffer | undefined): Buffer[];
  /** Send one message to every peer the mode has now (and record it in -o/-x). */
  deliver(message: Buffer): Promise<void> | void;
  /** Stdin has ended: FIN to the connected clients, or nothing (broker, datagrams). */
  ended?(): void;
  /** -q: the run ends now, with reason `quit-after-eof`. */
  quit(): void;
}

/** A running fan-out. */
export interface FanOut {
  /** The run is ending: stop reading stdin, and forget a -q that has not fired yet. */
  stop(): void;
}

/**
 * Stdin to many peers, the one fan-out of -l -k, --broker/--chat and -u/-U -u -l -k: each read
 * goes through -C, then to every peer the mode has at that moment, with -d between reads. At
 * stdin's end the mode's `ended` runs, and with -q N the run ends N later (exit 0). Undefined
 * with --recv-only, where stdin is not read.
 */
export function fanOutStdin(ctx: Context, target: FanOutTarget): FanOut | undefined {
  const { options, io, log } = ctx;
  if (options.recvOnly) return undefined;
  const encode = options.crlf ? createCrlfEncoder() : undefined;
  const messagesOf = target.messages ?? ((read: Buffer | undefined) => (read ? [read] : []));
  let quitTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const input = pump(io.stdin, async (read) => {
    for (const message of messagesOf(encode ? encode(read) : read)) await target.deliver(message);
    if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
  });
  input.done.then(
    async () => {
      log.info(2, 'EOF on stdin');
      for (const message of messagesOf(undefined)) await target.deliver(message);
      const quit = options.quitAfterEof;
      if (quit !== undefined && !stopped) quitTimer = setTimeout(() => target.quit(), quit);
      target.ended?.();
    },
    () => {},
  );
  return {
    stop: () => {
      stopped = true;
      clearTimeout(quitTimer);
      input.stop();
    },
  };
}
