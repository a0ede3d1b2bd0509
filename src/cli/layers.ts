/** The five layers of a plan (see plan.ts) and how Options choose them. Pure. */
import type { Options } from './options.js';

export type TransportLayer = 'tcp' | 'udp' | 'unix' | 'unix-dgram' | 'seqpacket' | 'websocket';
export type SecurityLayer = 'plain' | 'tls' | 'dtls';
export type RoleLayer = 'connect' | 'listen';
export type MultiplicityLayer = 'once' | 'keep-open' | 'broker' | 'chat';
export type IoLayer =
  | 'stdio'
  | 'exec'
  | 'js-exec'
  | 'lua-exec'
  | 'proxy-server'
  | 'scan'
  | 'forward';

/** The five layers of a run. */
export interface Layers {
  transport: TransportLayer;
  security: SecurityLayer;
  role: RoleLayer;
  multiplicity: MultiplicityLayer;
  io: IoLayer;
}

/** The layers Options ask for. */
export function layersOf(options: Options): Layers {
  const transport: TransportLayer = options.websocket
    ? 'websocket'
    : options.seqpacket
      ? 'seqpacket'
      : options.unixSocket
        ? options.udp
          ? 'unix-dgram'
          : 'unix'
        : options.udp
          ? 'udp'
          : 'tcp';
  const multiplicity: MultiplicityLayer = options.chat
    ? 'chat'
    : options.broker
      ? 'broker'
      : options.keepOpen
        ? 'keep-open'
        : 'once';
  const io: IoLayer = options.zero
    ? 'scan'
    : options.proxyServer !== undefined
      ? 'proxy-server'
      : options.forward
        ? 'forward'
        : options.exec?.kind === 'js'
          ? 'js-exec'
          : options.exec?.kind === 'lua'
            ? 'lua-exec'
            : options.exec
              ? 'exec'
              : 'stdio';
  return {
    transport,
    security: options.tls ? (transport === 'udp' ? 'dtls' : 'tls') : 'plain',
    role: options.listen ? 'listen' : 'connect',
    multiplicity,
    io,
  };
}

const TRANSPORT_FLAGS: Record<TransportLayer, string> = {
  tcp: '',
  udp: '-u',
  unix: '-U',
  'unix-dgram': '-U -u',
  seqpacket: '-U --seqpacket',
  websocket: '',
};

/**
 * The mode as a user would name it in flags: `connect mode`, `-l`, `-l -k`, `--broker`,
 * `-l --proxy-type http`, `-z`, `-u -l`, ... (messages name the option and this).
 */
export function modeName(layers: Layers, options?: Pick<Options, 'exec' | 'proxyServer'>): string {
  const transport = TRANSPORT_FLAGS[layers.transport];
  const words: string[] = [];
  if (layers.io === 'scan') words.push('-z');
  else if (layers.io === 'proxy-server') {
    words.push(`-l --proxy-type ${options?.proxyServer ?? 'http'}`);
  } else if (layers.multiplicity === 'broker' || layers.multiplicity === 'chat') {
    words.push(`--${layers.multiplicity}`);
  } else {
    if (layers.role === 'listen') words.push(layers.multiplicity === 'keep-open' ? '-l -k' : '-l');
    if (layers.io === 'exec') words.push(options?.exec?.kind === 'sh' ? '-c' : '-e');
    if (layers.io === 'js-exec') words.push('--js-exec');
    if (layers.io === 'lua-exec') words.push('--lua-exec');
    if (layers.io === 'forward' && layers.role === 'listen') words.push('--forward');
  }
  if (layers.transport === 'websocket') {
    words.push(layers.role === 'listen' ? '--websocket' : 'a ws:// URL');
  }
  if (transport) words.unshift(transport);
  const secured = layers.security !== 'plain';
  if (secured && layers.io !== 'scan') words.push('--ssl');
  if (words.length === 0 || (words.length === 1 && secured)) {
    words.unshift('connect mode');
  }
  return words.join(' ');
}
