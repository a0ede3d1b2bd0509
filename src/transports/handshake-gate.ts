import { ArgumentError } from '../errors.js';

/**
 * Bounds for connections that are still in a handshake (TLS, a proxy request, a SOCKS greeting):
 * a peer that opens connections and never speaks must not take the place of peers that do.
 *
 * - At most `maxHandshakes` at once, counted apart from any limit on served connections (-m).
 * - At most `maxPerSource` at once from one source address.
 * - A connection that has sent nothing within `firstByteTimeout` ms is dropped (a byte already
 *   waiting to be read when the deadline is checked counts as sent).
 * - When the bound is reached, the oldest connection that has not sent a byte yet is dropped to
 *   make room, so the listener keeps accepting and a client that speaks at once is still served.
 *   Only when every handshake in progress has started (bytes received) is the newcomer refused.
 */
export interface HandshakeGateOptions {
  /** Handshakes in progress at once, from all sources. Default 256. */
  maxHandshakes?: number;
  /** Handshakes in progress at once from one source address. Default 32. */
  maxPerSource?: number;
  /** Milliseconds a new connection may stay silent before its first byte. Default 3000. */
  firstByteTimeout?: number;
}

export const DEFAULT_MAX_HANDSHAKES = 256;
export const DEFAULT_MAX_HANDSHAKES_PER_SOURCE = 32;
export const DEFAULT_FIRST_BYTE_TIMEOUT = 3000;

/** Why a connection was dropped or refused by the gate (for logs and tests). */
export type GateDrop = 'first-byte-timeout' | 'evicted' | 'per-source' | 'full';

/** One admitted handshake. Both calls are idempotent. */
export interface HandshakeTicket {
  /** The peer sent its first byte: no longer dropped by the first-byte deadline or evicted. */
  heard(): void;
  /** The handshake finished (either way) or the connection went away: its place is free. */
  release(): void;
}

interface Entry extends HandshakeTicket {
  source: string;
  drop: (why: GateDrop) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export class HandshakeGate {
  readonly maxHandshakes: number;
  readonly maxPerSource: number;
  readonly firstByteTimeout: number;
  /** Every handshake in progress, oldest first. */
  #entries = new Set<Entry>();
  /** The ones that have not sent a byte yet, oldest first: the first to go when full. */
  #silent = new Set<Entry>();
  #perSource = new Map<string, number>();

  constructor(options: HandshakeGateOptions = {}) {
    this.maxHandshakes = positive(options.maxHandshakes, DEFAULT_MAX_HANDSHAKES, 'maxHandshakes');
    this.maxPerSource = positive(
      options.maxPerSource,
      DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
      'maxPerSource',
    );
    this.firstByteTimeout = positive(
      options.firstByteTimeout,
      DEFAULT_FIRST_BYTE_TIMEOUT,
      'firstByteTimeout',
    );
  }

  /** Handshakes in progress. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Admit a new connection from `source` (its address; '' when it has none, as a Unix socket
   * peer, which no per-source cap applies to). Returns undefined when it must be refused (the
   * caller resets it); otherwise `drop` is called if the gate later drops it (deadline or
   * eviction), after which the ticket is released already.
   */
  admit(source: string, drop: (why: GateDrop) => void): HandshakeTicket | undefined {
    const fromSource = this.#perSource.get(source) ?? 0;
    if (source !== '' && fromSource >= this.maxPerSource) {
      drop('per-source');
      return undefined;
    }
    if (this.#entries.size >= this.maxHandshakes) {
      const oldest = this.#silent.values().next();
      if (oldest.done) {
        drop('full');
        return undefined;
      }
      this.#drop(oldest.value, 'evicted');
    }
    const entry: Entry = {
      source,
      drop,
      timer: undefined,
      done: false,
      heard: () => {
        if (entry.done || !this.#silent.delete(entry)) return;
        clearTimeout(entry.timer);
        entry.timer = undefined;
      },
      release: () => this.#release(entry),
    };
    // The deadline is checked once the I/O that was waiting when the timer fired has run (an
    // immediate runs after the event loop's poll phase): a process that did not run for longer
    // than the deadline (a loaded machine) finds the timer due first, and a first byte that came
    // in time must still count.
    entry.timer = setTimeout(
      () =>
        setImmediate(() => {
          if (this.#silent.has(entry)) this.#drop(entry, 'first-byte-timeout');
        }),
      this.firstByteTimeout,
    );
    entry.timer.unref();
    this.#entries.add(entry);
    this.#silent.add(entry);
    this.#perSource.set(source, fromSource + 1);
    return entry;
  }

  /** Drop every handshake in progress (the listener is closing). */
  clear(): void {
    for (const entry of [...this.#entries]) this.#drop(entry, 'evicted');
  }

  #drop(entry: Entry, why: GateDrop): void {
    if (entry.done) return;
    this.#release(entry);
    entry.drop(why);
  }

  #release(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.timer);
    this.#entries.delete(entry);
    this.#silent.delete(entry);
    const left = (this.#perSource.get(entry.source) ?? 1) - 1;
    if (left > 0) this.#perSource.set(entry.source, left);
    else this.#perSource.delete(entry.source);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new ArgumentError(`${name} must be positive, got ${value}`);
  return value;
}
