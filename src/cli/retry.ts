import { SockcatError } from '../errors.js';
import { withRetry } from '../relay/retry.js';
import type { Context } from './context.js';

/** Seconds for a -v line: `1s`, `0.25s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** One failed attempt, at -v and in --json (`connect-failed`). */
export function reportConnectFailure(
  ctx: Context,
  target: string,
  attempt: number,
  error: unknown,
  retryIn: number | undefined,
  id?: number,
): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof SockcatError ? error.code : 'SOCKCAT_INTERNAL';
  if (retryIn !== undefined) {
    ctx.log.info(1, `${message} (attempt ${attempt}); retrying in ${formatSeconds(retryIn)}.`);
  } else if (attempt > 1) {
    ctx.log.info(1, `${message} (attempt ${attempt}); giving up.`);
  }
  ctx.events.emit({
    event: 'connect-failed',
    ...(id !== undefined ? { id } : {}),
    target,
    attempt,
    code,
    message,
    ...(retryIn !== undefined ? { retryIn } : {}),
  });
}

/**
 * Connect with --retry/--retry-forever/--retry-delay (socat's retry, forever, interval): each
 * attempt after the first is announced at -v, each failure is reported at -v and in --json, and
 * the last failure is thrown. Without --retry: one attempt, failures thrown as they are.
 */
export async function connectWithRetry<T>(
  ctx: Context,
  target: string,
  open: () => Promise<T>,
): Promise<T> {
  const retry = ctx.options.retry;
  if (!retry) return open();
  return withRetry(open, {
    retries: retry.retries,
    delay: retry.delay,
    ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    onAttempt: (attempt) => {
      if (attempt > 1) ctx.log.info(1, `Connecting to ${target} (attempt ${attempt}).`);
    },
    onFailure: (attempt, error, retryIn) =>
      reportConnectFailure(ctx, target, attempt, error, retryIn),
  });
}
