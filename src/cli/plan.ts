/**
 * Options → plan: which layers a run is made of, and what it does with every option it was given.
 * Pure: no I/O. The runner (runner.ts) assembles the run from the plan's layers and nothing else.
 *
 * A plan has five independent layers:
 * - transport: tcp, udp, unix (stream), unix-dgram, seqpacket, websocket;
 * - security: plain or tls;
 * - role: connect or listen;
 * - multiplicity: once, keep-open (-k), broker, chat;
 * - io: stdio, exec (-e/-c), js-exec, lua-exec, proxy-server (-l --proxy-type), scan (-z),
 *   forward.
 *
 * Every option given is honoured by exactly one layer (OPTION_RULES in option-rules.ts says which),
 * or, where the plan's layers cannot honour it, is never silent: refused by name before any socket
 * opens (exit 2; where ncat refuses, and for anything TLS), or run with a one-line warning naming
 * it (where ncat accepts the option and ignores it). See docs/architecture.md for how a new layer
 * (a transport, a security, an io) plugs in.
 */
import { ArgumentError } from '../errors.js';
import type { Options } from './args.js';
import { OPTION_RULES, type Verdict } from './option-rules.js';
import { flagNames, OPTIONS } from './option-table.js';

export type TransportLayer = 'tcp' | 'udp' | 'unix' | 'unix-dgram' | 'seqpacket' | 'websocket';
export type SecurityLayer = 'plain' | 'tls';
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

/** A run's layers, and the warnings for options its layers accept and ignore (as ncat does). */
export interface Plan extends Layers {
  /** One line each, naming the option and the mode; printed before anything else happens. */
  warnings: string[];
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
    security: options.tls ? 'tls' : 'plain',
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
  if (layers.security === 'tls' && layers.io !== 'scan') words.push('--ssl');
  if (words.length === 0 || (words.length === 1 && layers.security === 'tls')) {
    words.unshift('connect mode');
  }
  return words.join(' ');
}

/** The options of the table given on the command line, in table order. */
function givenSpecs(options: Options) {
  const given = new Set(options.given);
  return OPTIONS.filter((spec) => given.has(spec.name));
}

/**
 * What the plan's layers do with one option: undefined when a layer honours it, else the
 * refusal or the warning. Throws for an option the rules table does not know (a bug).
 */
export function verdictFor(name: string, layers: Layers, options: Options): Verdict {
  const rule = OPTION_RULES[name];
  if (!rule) throw new Error(`option ${name} has no rule in OPTION_RULES`);
  return rule.where?.(layers, options);
}

/**
 * Build the plan for parsed Options. Throws ArgumentError (exit 2) naming the option and the mode
 * for the first option the layers cannot honour and must refuse; collects a warning for each one
 * they accept and ignore.
 */
export function buildPlan(options: Options): Plan {
  const layers = layersOf(options);
  const mode = modeName(layers, options);
  const warnings: string[] = [];
  for (const spec of givenSpecs(options)) {
    const verdict = verdictFor(spec.name, layers, options);
    if (!verdict) continue;
    const flag = flagNames(spec);
    if ('refuse' in verdict) {
      throw new ArgumentError(`${flag} cannot be used with ${mode}: ${verdict.refuse}`);
    }
    warnings.push(`warning: ${flag} has no effect with ${mode} (${verdict.warn}); ignored`);
  }
  return { ...layers, warnings };
}
