import { ArgumentError } from '../errors.js';

export const MAX_PORT = 65535;

/**
 * Parse a numeric port. Service names are not looked up: `80` works, `http` does not.
 * `what` names the value in the message (`port`, `source port`).
 */
export function parsePort(value: string | number, what = 'port'): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) {
    throw new ArgumentError(`invalid ${what} ${JSON.stringify(String(value))}`);
  }
  const port = Number(text);
  if (port > MAX_PORT) {
    throw new ArgumentError(`${what} ${text} is out of range (0-${MAX_PORT})`);
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
