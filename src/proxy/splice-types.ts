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
}

export interface SpliceOptions {
  /** Destroys both streams at once. */
  signal?: AbortSignal;
  /** Destroy both when nothing moved either way for this many milliseconds. */
  idleTimeout?: number;
}
