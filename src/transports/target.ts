import { parseHostPort, unbracket } from '../address/host-port.js';
import { parsePort, validatePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';

/** `"host:port"`, `"[v6]:port"`, `":port"`, a bare port number, or `{ host, port }`. */
export type TargetInput = string | number | { host?: string; port: number | string };

export interface Target {
  host: string;
  port: number;
}

export function parseTarget(target: TargetInput): Target {
  if (typeof target === 'number') return { host: '', port: validatePort(target) };
  if (typeof target === 'string') {
    if (/^\d+$/.test(target)) return { host: '', port: parsePort(target) };
    return parseHostPort(target);
  }
  if (target === null || typeof target !== 'object') {
    throw new ArgumentError(`invalid target ${JSON.stringify(target)}`);
  }
  const port = typeof target.port === 'number' ? validatePort(target.port) : parsePort(target.port);
  return { host: unbracket(target.host ?? ''), port };
}
