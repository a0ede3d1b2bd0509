import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** ncat's upper bound: timeouts are kept in a signed 32-bit count of milliseconds. */
export const MAX_DURATION_MS = 2_147_483_647;

/**
 * Parse a CLI duration into milliseconds: a bare number is seconds (as in ncat), or a number with
 * `ms`, `s`, `m` or `h`. Fractions are allowed (`1.5s`, `0.25`).
 * `flag` names the option in the error (`-w`); `allowZero` accepts 0.
 */
export function parseDuration(text: string, flag: string, allowZero = false): number {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  const unit = match?.[2] ?? 's';
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[unit]!) : Number.NaN;
  const lowest = allowZero ? 0 : 1;
  if (!Number.isFinite(ms) || ms < lowest || ms > MAX_DURATION_MS) {
    const bound = allowZero ? 'at least 0' : 'greater than 0';
    throw new ArgumentError(
      `invalid ${flag} time ${quoteInput(text)} (must be ${bound} and less than 2147483s; units: ms, s, m, h)`,
    );
  }
  return ms;
}
