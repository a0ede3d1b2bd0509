/** Datagrams a session (an -e child of `-u -l -k`) has not read yet, for one reader. */

/** Datagrams held for a reader that does not keep up; later ones are dropped (UDP may drop). */
export const DEFAULT_INBOX_LIMIT = 256;

/**
 * A bounded queue of datagrams with one reader: `push()` hands a datagram to a waiting reader or
 * holds it (up to `limit`; past that it is dropped and counted, as a full socket buffer drops
 * it). `close()` ends the iteration at once and releases what is held: the session has ended,
 * nobody will read it.
 */
export class SessionInbox implements AsyncIterable<Buffer> {
  readonly limit: number;
  /** Datagrams dropped because `limit` were already waiting. */
  dropped = 0;
  #queue: Buffer[] = [];
  #waiter: ((datagram: Buffer | undefined) => void) | undefined;
  #closed = false;

  constructor(limit = DEFAULT_INBOX_LIMIT) {
    this.limit = limit;
  }

  /** Hand over one datagram; false when it was dropped (full, or closed). */
  push(datagram: Buffer): boolean {
    if (this.#closed) return false;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(datagram);
      return true;
    }
    if (this.#queue.length >= this.limit) {
      this.dropped++;
      return false;
    }
    this.#queue.push(datagram);
    return true;
  }

  /** The reader is gone: the iteration ends now, and what is held is released. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.#closed) return;
      const held = this.#queue.shift();
      if (held) {
        yield held;
        continue;
      }
      const next = await new Promise<Buffer | undefined>((resolve) => {
        this.#waiter = resolve;
      });
      if (next === undefined) return;
      yield next;
    }
  }
}
