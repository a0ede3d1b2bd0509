import { unbracket } from '../address/host-port.js';
import { ArgumentError } from '../errors.js';

/** A ws:// or wss:// URL checked and split, before any I/O. */
export interface WebSocketUrl {
  secure: boolean;
  host: string;
  port: number;
  /** Path and query as sent in the request line. */
  path: string;
  href: string;
}

/** Check and split a ws:// or wss:// URL (pure; throws ArgumentError naming it). */
export function parseWebSocketUrl(input: string | URL): WebSocketUrl {
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    throw new ArgumentError(`invalid WebSocket URL ${JSON.stringify(String(input))}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ArgumentError(
      `a WebSocket URL starts with ws:// or wss://, not ${JSON.stringify(url.protocol.replace(/:$/, ''))}`,
    );
  }
  if (url.hostname === '')
    throw new ArgumentError(`WebSocket URL ${JSON.stringify(url.href)} has no host`);
  if (url.hash !== '') {
    throw new ArgumentError(`WebSocket URL ${JSON.stringify(url.href)} has a fragment (#...)`);
  }
  const secure = url.protocol === 'wss:';
  return {
    secure,
    host: unbracket(url.hostname),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname || '/'}${url.search}`,
    href: url.href,
  };
}
