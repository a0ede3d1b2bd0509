import { formatHostPort, parseHostPort } from '../address/host-port.js';
import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';

/**
 * One end of a forward, as text or as an object:
 * - `host:port`, `[v6]:port`, a bare port (listening only): TCP;
 * - `tls://host:port`: TCP with TLS;
 * - `ws://host:port/path`, `wss://host:port/path`: WebSocket (wss with TLS);
 * - `unix:/path` (`unix:@name` for an abstract socket): a Unix stream socket;
 * - `udp://host:port`: UDP (each peer is a session).
 */
export type ForwardTarget =
  | { kind: 'tcp'; host: string; port: number; tls: boolean }
  | { kind: 'unix'; path: string; tls: boolean }
  | { kind: 'websocket'; host: string; port: number; path: string; tls: boolean }
  | { kind: 'udp'; host: string; port: number };

/** Parse a forward end (pure; throws ArgumentError naming the text). */
export function parseForwardTarget(text: string): ForwardTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):(\/\/)?/i.exec(text);
  const name = scheme?.[1]?.toLowerCase();
  if (name === 'unix') {
    const path = text.slice(scheme![0].length - (scheme![2] ? 1 : 0));
    if (path === '' || path === '/' || path === '@') {
      throw new ArgumentError(`invalid forward target ${JSON.stringify(text)}: no socket path`);
    }
    return { kind: 'unix', path, tls: false };
  }
  if (name === 'ws' || name === 'wss') {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ArgumentError(`invalid WebSocket URL ${JSON.stringify(text)}`);
    }
    if (url.hostname === '')
      throw new ArgumentError(`WebSocket URL ${JSON.stringify(text)} has no host`);
    const tls = name === 'wss';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return {
      kind: 'websocket',
      host,
      port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
      path: `${url.pathname || '/'}${url.search}`,
      tls,
    };
  }
  if (name === 'tls' || name === 'udp' || name === 'tcp') {
    if (!scheme![2]) {
      throw new ArgumentError(
        `invalid forward target ${JSON.stringify(text)}: write ${name}://host:port`,
      );
    }
    const { host, port } = hostPort(text.slice(scheme![0].length), text);
    if (name === 'udp') return { kind: 'udp', host, port };
    return { kind: 'tcp', host, port, tls: name === 'tls' };
  }
  if (scheme?.[2]) {
    throw new ArgumentError(
      `unknown scheme ${JSON.stringify(name)} in forward target ${JSON.stringify(text)} (tcp, tls, ws, wss, unix, udp)`,
    );
  }
  const { host, port } = hostPort(text, text);
  return { kind: 'tcp', host, port, tls: false };
}

function hostPort(rest: string, whole: string): { host: string; port: number } {
  const trimmed = rest.replace(/\/$/, '');
  if (/^\d+$/.test(trimmed)) return { host: '', port: parsePort(trimmed) };
  try {
    return parseHostPort(trimmed);
  } catch (error) {
    throw new ArgumentError(
      `invalid forward target ${JSON.stringify(whole)}: ${(error as Error).message.replace(/^invalid address "[^"]*": /, '')}`,
    );
  }
}

/** The target as text, for messages and events (`tls://127.0.0.1:443`, `unix:/run/x.sock`). */
export function formatForwardTarget(target: ForwardTarget): string {
  switch (target.kind) {
    case 'unix':
      return `unix:${target.path}`;
    case 'udp':
      return `udp://${formatHostPort(target.host, target.port)}`;
    case 'websocket':
      return `${target.tls ? 'wss' : 'ws'}://${formatHostPort(target.host, target.port)}${target.path}`;
    case 'tcp':
      return `${target.tls ? 'tls://' : ''}${formatHostPort(target.host, target.port)}`;
  }
}
