import { AbortError, TimeoutError } from '../errors.js';
import { type Waiter, type WaitOptions, waitInQueue } from './wait-queue.js';

/** Datagrams kept for a reader that has not asked yet; beyond this, new ones are dropped. */
export const DEFAULT_RECEIVE_QUEUE = 1024;

/** How iteration waits: for as long as it takes (no signal, no timeout, so never these errors). */
const UNBOUNDED: WaitOptions = {
  aborted: () => new AbortError('datagram receive aborted', { op: 'read' }),
  timedOut: (ms) => new TimeoutError(`datagram receive timed out (${ms} ms)`, ms, { op: 'read' }),
};

/**
 * The receive side of a datagram connection (a connected UDP socket, a DTLS session, one peer's
 * session of `-u -l -k -e`): a datagram goes to the first waiting receiver, else waits here, up
 * to `limit` datagrams; beyond that it is counted as dropped, as a socket's full receive buffer
 * would drop it. Receivers wait in order, each with its own timeout or signal.
 */
export class DatagramInbox implements AsyncIterable<Buffer> {
  readonly #limit: number;
  #queue: Buffer[] = [];
  #waiters: Waiter<Buffer | undefined>[] = [];
  #error: Error | undefined;
  #ended = false;
  #bytes = 0;
  #dropped = 0;

  constructor(limit = DEFAULT_RECEIVE_QUEUE) {
    this.#limit = limit;
  }

  /** Bytes of every datagram delivered, the dropped ones included. */
  get bytesReceived(): number {
    return this.#bytes;
  }

  /** Datagrams dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** One datagram from the peer; false when it was dropped (the queue full, or ended). */
  deliver(datagram: Buffer): boolean {
    if (this.#ended) return false;
    this.#bytes += datagram.length;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(datagram);
      return true;
    }
    if (this.#queue.length >= this.#limit) {
      this.#dropped++;
      return false;
    }
    this.#queue.push(datagram);
    return true;
  }

  /**
   * The next datagram: a queued one first, then the failure, then undefined once ended, else
   * the next delivered. Cancel safety: on timeout or abort (with the caller's errors) nothing is
   * consumed.
   */
  receive(wait: WaitOptions): Promise<Buffer | undefined> {
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(undefined);
    return waitInQueue(this.#waiters, wait);
  }

  /** No more datagrams: waiting receivers get undefined; what is queued is still received. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
  }

  /** The reader is gone: it ends now, and what is queued is released unread. Idempotent. */
  close(): void {
    this.#queue = [];
    this.end();
  }

  /** The datagrams, until the end (or close). */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const datagram = await this.receive(UNBOUNDED);
      if (datagram === undefined) return;
      yield datagram;
    }
  }

  /** The connection failed: waiting receivers, and receives once the queue is empty, get `error`. */
  fail(error: Error): void {
    this.#error ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
