/**
 * The session table of a datagram server: one socket, many peers, and a session per peer kept
 * by its key (UDP: address and port; Unix: the socket's name). A datagram has no connection to
 * end, so a session ends when it has been idle too long, when the server makes room for a new
 * peer, or when its owner ends it. `-u -l -k` (stdio and -e), `-U -u -l -k` and UDP
 * `--forward` keep their peers here.
 */

export interface DatagramSessionsOptions<S> {
  /** A session ends after this long without a datagram either way ('idle-timeout'). */
  idleMs: number;
  /**
   * The life of a session whose peer has sent only one datagram (default idleMs). One-shot
   * senders (a probe, a spoofed source) would otherwise hold a place for the whole idleMs.
   */
  oneShotMs?: number;
  /** At most this many sessions at once (default: no limit). */
  limit?: number;
  /**
   * When full, end the oldest session whose peer has sent a single datagram ('evicted') to make
   * room for a new one. Sessions that have talked more are never ended for a newcomer.
   */
  evictOneShot?: boolean;
  /** A session has ended, with the reason its `closed` event gives. Called once per session. */
  onEnd(session: S, reason: string): void;
  /** Milliseconds on a monotonic clock (default performance.now); tests pass a fake one. */
  clock?: () => number;
}

interface Entry<S> {
  readonly key: string;
  readonly session: S;
  readonly ended: AbortController;
  /** Datagrams received from the peer, counted up to 2: a one-shot session has 1. */
  datagrams: number;
  /** When a datagram last went either way (the clock's milliseconds). */
  last: number;
  timer: NodeJS.Timeout;
}

export class DatagramSessions<S extends object> {
  readonly #entries = new Map<string, Entry<S>>();
  readonly #bySession = new WeakMap<S, Entry<S>>();
  readonly #options: DatagramSessionsOptions<S>;
  readonly #oneShotMs: number;
  readonly #clock: () => number;

  constructor(options: DatagramSessionsOptions<S>) {
    this.#options = options;
    this.#oneShotMs = Math.min(options.oneShotMs ?? options.idleMs, options.idleMs);
    this.#clock = options.clock ?? (() => performance.now());
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live session of the peer with this key. */
  get(key: string): S | undefined {
    return this.#entries.get(key)?.session;
  }

  /** The live sessions, oldest first. */
  sessions(): S[] {
    return [...this.#entries.values()].map((entry) => entry.session);
  }

  /**
   * Open a session for a new peer, made by `make` with the signal that aborts when the session
   * ends. Undefined when the table is full and no one-shot session can make room.
   */
  add(key: string, make: (ended: AbortSignal) => S): S | undefined {
    const { limit, evictOneShot } = this.#options;
    if (limit !== undefined && this.#entries.size >= limit) {
      // Map order is creation order: the first one-shot entry is the oldest.
      const oneShot = evictOneShot
        ? [...this.#entries.values()].find((entry) => entry.datagrams === 1)
        : undefined;
      if (!oneShot) return undefined;
      this.#end(oneShot, 'evicted');
    }
    const ended = new AbortController();
    const session = make(ended.signal);
    const entry: Entry<S> = {
      key,
      session,
      ended,
      datagrams: 0,
      last: this.#clock(),
      timer: setTimeout(() => this.#expire(entry), this.#oneShotMs),
    };
    this.#entries.set(key, entry);
    this.#bySession.set(session, entry);
    return session;
  }

  /** A datagram from the peer: its session lives on, with the full idleMs from its second. */
  received(session: S): void {
    const entry = this.#live(session);
    if (!entry) return;
    if (entry.datagrams < 2) entry.datagrams++;
    entry.last = this.#clock();
  }

  /** A datagram to the peer: its session lives on. */
  sent(session: S): void {
    const entry = this.#live(session);
    if (entry) entry.last = this.#clock();
  }

  /** End one session (once; later calls do nothing). */
  end(session: S, reason: string): void {
    const entry = this.#live(session);
    if (entry) this.#end(entry, reason);
  }

  /** End every live session, with one reason (the server is stopping). */
  endAll(reason: string): void {
    for (const entry of [...this.#entries.values()]) this.#end(entry, reason);
  }

  #live(session: S): Entry<S> | undefined {
    const entry = this.#bySession.get(session);
    return entry && this.#entries.get(entry.key) === entry ? entry : undefined;
  }

  /**
   * The timer is not moved for each datagram (a clock read is cheaper): when it fires, a
   * session that has had traffic since is given the rest of its life.
   */
  #expire(entry: Entry<S>): void {
    const life = entry.datagrams >= 2 ? this.#options.idleMs : this.#oneShotMs;
    const left = entry.last + life - this.#clock();
    if (left > 0) entry.timer = setTimeout(() => this.#expire(entry), Math.ceil(left));
    else this.#end(entry, 'idle-timeout');
  }

  #end(entry: Entry<S>, reason: string): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    clearTimeout(entry.timer);
    entry.ended.abort();
    this.#options.onEnd(entry.session, reason);
  }
}
