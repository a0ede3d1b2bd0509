import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, ArgumentError } from '../errors.js';

/** socat's `retry=N`, `interval` and `forever`, with a doubling delay. */
export interface RetryOptions {
  /** Retries after the first failure; Infinity retries forever. Default 0 (one attempt). */
  retries?: number;
  /** Milliseconds before the first retry; each later one waits twice as long. Default 1000. */
  delay?: number;
  /** The longest wait between attempts. Default 30000, or `delay` when that is longer. */
  maxDelay?: number;
  signal?: AbortSignal;
  /** Called before each attempt (from 1). */
  onAttempt?: (attempt: number) => void;
  /** Called after each failed attempt, with the wait before the next (undefined: no more). */
  onFailure?: (attempt: number, error: unknown, nextDelay: number | undefined) => void;
  /** Which failures are worth another attempt. Default: all but argument errors. */
  retryable?: (error: unknown) => boolean;
}

export const DEFAULT_RETRY_DELAY = 1000;
export const DEFAULT_RETRY_MAX_DELAY = 30_000;

/** The wait before retry number `retry` (from 1): delay, 2×delay, 4×delay, ... up to maxDelay. */
export function retryDelay(retry: number, delay: number, maxDelay: number): number {
  return Math.min(delay * 2 ** Math.min(retry - 1, 30), Math.max(maxDelay, delay));
}

/**
 * Run `attempt` until it succeeds or the retries run out; the last failure is thrown. An abort
 * during a wait throws AbortError.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  if (!(retries >= 0)) throw new ArgumentError(`invalid retry count ${retries}`);
  const delay = options.delay ?? DEFAULT_RETRY_DELAY;
  const maxDelay = options.maxDelay ?? DEFAULT_RETRY_MAX_DELAY;
  const retryable = options.retryable ?? ((error) => !(error instanceof ArgumentError));
  for (let n = 1; ; n++) {
    options.onAttempt?.(n);
    try {
      return await attempt(n);
    } catch (error) {
      const more = n <= retries && retryable(error) && !options.signal?.aborted;
      const wait = more ? retryDelay(n, delay, maxDelay) : undefined;
      options.onFailure?.(n, error, wait);
      if (wait === undefined) throw error;
      try {
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw new AbortError(`retry aborted after ${n} attempts`, { cause: error });
      }
    }
  }
}
