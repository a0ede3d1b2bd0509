/** What splice() (proxy/splice.ts) and its native path take and return. */

export interface SpliceResult {
  /** Bytes copied from `a` to `b`. */
  aToB: number;
  /** Bytes copied from `b` to `a`. */
  bToA: number;
  /**
   * Of those, the bytes the native data path moved (proxy/native-splice.ts): a socket's own
   * bytesRead/bytesWritten never saw them.
   */
  native?: { aToB: number; bToA: number };
  /**
   * How it ended: 'done' (both directions ended cleanly), 'idle-timeout', 'aborted' (the
   * signal), or 'reset' (a side failed or closed without ending: both were destroyed).
   */
  reason: 'done' | 'idle-timeout' | 'aborted' | 'reset';
}

/** Which way a chunk went: from `a` to `b`, or back. */
export type SpliceDirection = 'aToB' | 'bToA';

export interface SpliceOptions {
  /** Destroys both streams at once. */
  signal?: AbortSignal;
  /** Destroy both when nothing moved either way for this many milliseconds. */
  idleTimeout?: number;
  /**
   * Sees every chunk as it is copied, in order in each direction (a session log). With a tap the
   * bytes go through JavaScript: the native data path never shows them to anyone.
   */
  tap?: (direction: SpliceDirection, chunk: Buffer) => void;
  /**
   * Told how many bytes moved each way since the last call: per chunk in JavaScript, every 250 ms
   * (and once at the end) on the native path. A byte counter (a progress meter), not a tap: the
   * native path stays.
   */
  onProgress?: (aToB: number, bToA: number) => void;
  /**
   * Told once which data path carries the bytes: `JavaScript (why)` before the copy starts, or
   * `native: both ways by splice` (the addon's mechanism) when the first native copy starts.
   */
  onDataPath?: (path: string) => void;
}
