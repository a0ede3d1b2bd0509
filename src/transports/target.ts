import { parseHostPort, unbracket } from '../address/host-port.js';
import { parsePort, validatePort } from '../address/port.js';
import { checkUnixPath } from '../address/unix-path.js';
import { ArgumentError } from '../errors.js';

/**
 * `"host:port"`, `"[v6]:port"`, `":port"`, a bare port number, `{ host, port }`, or a Unix socket
 * `{ path }` (a leading "@" names a Linux abstract socket).
 */
export type TargetInput = string | number | { host?: string; port: number | string } | UnixTarget;

export interface UnixTarget {
  path: string;
}

export function isUnixTarget(target: TargetInput): target is UnixTarget {
  return typeof target === 'object' && target !== null && 'path' in target;
}

/**
 * The path node:net wants: Linux abstract names ("@name") start with a NUL byte, and a relative
 * path that reads as a number ("9", "1e3") gets "./" in front: node:net takes a numeric `path` for
 * a port and refuses it ("The argument 'options' is invalid"), so `sockcat -U -l 9` failed.
 */
export function unixSocketPath(target: UnixTarget): string {
  const path = checkUnixPath(target.path);
  if (path.startsWith('@')) return `\0${path.slice(1)}`;
  return Number(path) >= 0 ? `./${path}` : path;
}

export interface Target {
  host: string;
  port: number;
}

export function parseTarget(target: TargetInput): Target {
  if (isUnixTarget(target)) {
    throw new ArgumentError(
      `expected a host and port, got the Unix socket ${JSON.stringify(target.path)}`,
    );
  }
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
