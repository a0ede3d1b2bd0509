import { AbortError, ClosedError, type ErrorContext, TimeoutError } from '../errors.js';
import { type Waiter, waitInQueue } from '../tube/wait-queue.js';

export interface AcceptQueueOptions<T, R> {
  /** Connections held for accept() at most; beyond this, `refuse` drops the newcomer. */
  limit: number;
  /** What accept() hands out for a held connection (a Tube around a socket, or the same). */
  handOut: (item: T) => R;
  /** A connection over the limit: reset it, or close it with a "busy" code. */
  refuse: (item: T) => void;
  /** Hold a connection until it is accepted; call `forget` if it closes before (it leaves the queue). */
  hold: (item: T, forget: () => void) => void;
  /** The listener's address, for accept's errors. */
  context: () => ErrorContext;
}

export interface AcceptWaitOptions {
  /** Milliseconds to wait; undefined: no limit. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The hand-out side of a listener (TCP, Unix, WebSocket): a new connection goes to the first
 * waiting accept(), else waits here, up to `limit`. accept() waits in order with its own timeout
 * or signal and is cancel safe (a connection is never lost to a timeout); close() ends every
 * wait with ClosedError, fail() with a given error. Async iteration accepts until close().
 */
export class AcceptQueue<T, R> implements AsyncIterable<R> {
  readonly #options: AcceptQueueOptions<T, R>;
  #pending: T[] = [];
  #waiters: Waiter<R>[] = [];
  #closed = false;
  #failure: Error | undefined;
  /** deliverTo(): every connection goes here as it arrives, instead of to accept(). */
  #sink: ((item: R) => void) | undefined;

  constructor(options: AcceptQueueOptions<T, R>) {
    this.#options = options;
  }

  /** Connections held until accept() hands them out. */
  get size(): number {
    return this.#pending.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A new connection: to the sink or the first waiter, else held (or refused beyond the limit). */
  deliver(item: T): void {
    if (this.#sink) {
      this.#sink(this.#options.handOut(item));
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(this.#options.handOut(item));
      return;
    }
    if (this.#pending.length >= this.#options.limit) {
      this.#options.refuse(item);
      return;
    }
    this.#options.hold(item, () => {
      const index = this.#pending.indexOf(item);
      if (index !== -1) this.#pending.splice(index, 1);
    });
    this.#pending.push(item);
  }

  /**
   * From now on, hand every connection to `sink` as it arrives (the held ones first) instead of
   * to accept(): no promise or waiter per connection, for a consumer that takes them all.
   */
  deliverTo(sink: (item: R) => void): void {
    this.#sink = sink;
    for (const item of this.#pending.splice(0)) sink(this.#options.handOut(item));
  }

  /** Wait for the next connection. Cancel safety: safe. */
  accept(options: AcceptWaitOptions = {}): Promise<R> {
    const first = this.#pending.shift();
    if (first !== undefined) return Promise.resolve(this.#options.handOut(first));
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(this.#closedError());
    const context = this.#options.context;
    return waitInQueue(this.#waiters, {
      signal: options.signal,
      timeout: options.timeout,
      aborted: () => new AbortError('accept aborted', context()),
      timedOut: (ms) => new TimeoutError(`accept timed out after ${ms}ms`, ms, context()),
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<R> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ClosedError && this.#closed) return;
        throw error;
      }
    }
  }

  /** Stop: waiting accepts fail with ClosedError. Returns the held connections, to be dropped. */
  close(): T[] {
    this.#closed = true;
    const held = this.#pending.splice(0);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError());
    return held;
  }

  /** The wait is over for a reason of the listener's (its one client failed): accepts get it. */
  fail(error: Error): void {
    this.#failure = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #closedError(): ClosedError {
    return new ClosedError('accept failed: the listener is closed', this.#options.context());
  }
}
