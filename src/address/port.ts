import { ArgumentError } from '../errors.js';
import { quoteInput } from './quote.js';

export const MAX_PORT = 65535;

/**
 * Parse a numeric port: decimal digits only. Service names are not looked up: `80` works, `http`
 * does not, and neither does ` 80`.
 * `what` names the value in the message (`port`, `source port`).
 */
export function parsePort(value: string | number, what = 'port'): number {
  // Exactly digits: " 80" and "80 " are refused, as ncat and getaddrinfo's numeric service do.
  const text = String(value);
  if (!/^\d+$/.test(text)) {
    throw new ArgumentError(`invalid ${what} ${quoteInput(text)}`);
  }
  const port = Number(text);
  if (port > MAX_PORT) {
    const shown = text.length > 12 ? quoteInput(text) : text;
    throw new ArgumentError(`${what} ${shown} is out of range (0-${MAX_PORT})`);
  }
  return port;
}

/** Validate a port given as a number (library callers); same messages as parsePort. */
export function validatePort(port: number, what = 'port'): number {
  if (!Number.isInteger(port)) {
    throw new ArgumentError(`invalid ${what} ${JSON.stringify(String(port))}`);
  }
  if (port < 0 || port > MAX_PORT) {
    throw new ArgumentError(`${what} ${port} is out of range (0-${MAX_PORT})`);
  }
  return port;
}
