/**
 * The WebSocket, --forward and --retry parts of the command line, as plain data. Pure: value
 * errors are thrown here (ArgumentError naming the flag and the value); which modes honour the
 * options is the rules table's business (option-rules.ts).
 */
import { ArgumentError } from '../errors.js';
import { type ForwardTarget, parseForwardTarget } from '../relay/forward-target.js';
import { parseWebSocketUrl, type WebSocketUrl } from '../transports/websocket-url.js';
import { parseDuration } from './duration.js';
import { parseBufferSize } from './socket-flags.js';

/** How stdin becomes messages, and messages become stdout. */
export type WebSocketFraming = 'binary' | 'text' | 'lines';

export interface WebSocketCliOptions {
  /** Connect mode: the ws:// or wss:// URL given as the target. */
  url: WebSocketUrl | undefined;
  /** -l --websocket: listen for WebSocket clients. */
  listen: boolean;
  /** --ws-path: the one path upgrades are accepted on (undefined: any). */
  path: string | undefined;
  /** binary (default), --ws-text, --ws-lines. */
  framing: WebSocketFraming;
  /** --ws-max-message, bytes. */
  maxMessageSize: number | undefined;
  /** --ws-ping, milliseconds. */
  pingInterval: number | undefined;
}

/** The framing and limits of a WebSocket end, whichever it is. */
export type WebSocketTuning = Omit<WebSocketCliOptions, 'url' | 'listen'>;

/** --retry N / --retry-forever and --retry-delay: socat's retry, forever and interval. */
export interface RetryCliOptions {
  /** Retries after the first failure; Infinity with --retry-forever. */
  retries: number;
  /** Milliseconds before the first retry (doubling after each). */
  delay: number;
}

type Values = Record<string, string | boolean | boolean[] | string[] | undefined>;

const URL_PATTERN = /^wss?:\/\//i;

/** True when the connect target is a WebSocket URL. */
export function isWebSocketUrl(text: string | undefined): boolean {
  return text !== undefined && URL_PATTERN.test(text);
}

/**
 * The WebSocket options, or undefined when the run has no WebSocket end of its own (a ws://
 * --forward target still takes the framing and size options: see `webSocketTuning`).
 */
export function parseWebSocketArgs(
  values: Values,
  listen: boolean,
  positionals: readonly string[],
): WebSocketCliOptions | undefined {
  const target = positionals[0];
  if (listen && isWebSocketUrl(target)) {
    throw new ArgumentError(
      `${JSON.stringify(target)} is a WebSocket URL to connect to; listen with -l --websocket [--ws-path PATH] PORT`,
    );
  }
  const url = !listen && isWebSocketUrl(target) ? parseWebSocketUrl(target!) : undefined;
  const wanted = values['websocket'] === true;
  // --websocket without -l is refused by the rules table, naming it (connect takes a URL).
  if (!url && !(wanted && listen)) return undefined;
  if (url && positionals.length > 1) {
    throw new ArgumentError(
      `too many arguments: ${positionals.slice(1).join(' ')} (a WebSocket URL carries its port)`,
    );
  }
  return { url, listen: listen && wanted, ...webSocketTuning(values) };
}

/** --ws-path, --ws-text, --ws-lines, --ws-max-message, --ws-ping. */
export function webSocketTuning(values: Values): WebSocketTuning {
  if (values['ws-text'] === true && values['ws-lines'] === true) {
    throw new ArgumentError('--ws-text and --ws-lines cannot be used together (lines are text)');
  }
  const path = values['ws-path'] as string | undefined;
  if (path !== undefined && !path.startsWith('/')) {
    throw new ArgumentError(`invalid --ws-path ${JSON.stringify(path)}: a path starts with "/"`);
  }
  const max = values['ws-max-message'] as string | undefined;
  const ping = values['ws-ping'] as string | undefined;
  return {
    path,
    framing: values['ws-lines'] === true ? 'lines' : values['ws-text'] === true ? 'text' : 'binary',
    maxMessageSize: max === undefined ? undefined : parseBufferSize(max, '--ws-max-message'),
    pingInterval: ping === undefined ? undefined : parseDuration(ping, '--ws-ping'),
  };
}

/** --forward TARGET, checked now (a bad target is exit 2 before any socket opens). */
export function parseForwardArgs(values: Values): ForwardTarget | undefined {
  const text = values['forward'] as string | undefined;
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new ArgumentError('option --forward needs a target');
  return parseForwardTarget(text);
}

/** --retry N, --retry-forever, --retry-delay D. */
export function parseRetryArgs(values: Values): RetryCliOptions | undefined {
  const count = values['retry'] as string | undefined;
  const forever = values['retry-forever'] === true;
  const delayText = values['retry-delay'] as string | undefined;
  if (count !== undefined && forever) {
    throw new ArgumentError('--retry and --retry-forever cannot be used together');
  }
  if (count !== undefined && !/^\d+$/.test(count)) {
    throw new ArgumentError(`invalid --retry count ${JSON.stringify(count)} (a whole number)`);
  }
  const delay = delayText === undefined ? 1000 : parseDuration(delayText, '--retry-delay');
  if (count === undefined && !forever) return undefined;
  return { retries: forever ? Number.POSITIVE_INFINITY : Number(count), delay };
}
