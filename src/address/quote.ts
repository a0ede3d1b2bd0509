/** Longest piece of user input quoted whole in a message; longer input is cut in the middle. */
export const MAX_QUOTED_INPUT = 80;

/**
 * User input as a message quotes it: JSON-quoted (control characters escaped), and cut to a
 * readable length, keeping the start and the end, when longer than `max` characters (a 100 KB
 * host name must not fill the terminal).
 */
export function quoteInput(value: string, max = MAX_QUOTED_INPUT): string {
  if (value.length <= max) return JSON.stringify(value);
  const keep = Math.floor((max - 1) / 2);
  const cut = value.length - 2 * keep;
  return `${JSON.stringify(value.slice(0, keep)).slice(0, -1)}…(${cut} characters)…${JSON.stringify(value.slice(-keep)).slice(1)}`;
}
