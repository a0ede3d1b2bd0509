import { parseArgs as nodeParseArgs } from 'node:util';
import { unbracket } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';
import {
  type ProxyAuth,
  type ProxyDns,
  type ProxyHop,
  type ProxyType,
  parseProxyAuth,
  parseProxyChain,
  parseProxyDns,
  parseProxyType,
} from '../proxy/proxy-spec.js';
import type { ForwardTarget } from '../relay/forward-target.js';
import type { SocketOptions } from '../transports/socket-options.js';
import { parseOpenbsdArgs } from './dialect-openbsd.js';
import { parseDuration } from './duration.js';
import { flagNames, OPTIONS, type OptionSpec } from './option-table.js';
import { parsePortList } from './port-list.js';
import { parseBufferSize, parseKeepAlive, parseTos, parseTtl } from './socket-flags.js';
import { parseTlsArgs, type TlsCliOptions } from './tls-args.js';
import {
  parseForwardArgs,
  parseRetryArgs,
  parseWebSocketArgs,
  type RetryCliOptions,
  type WebSocketCliOptions,
  webSocketTuning,
} from './websocket-args.js';

/** ncat's port when none is given. */
export const DEFAULT_PORT = 31337;
/** Ports a -z scan probes at once unless --scan-concurrency says otherwise. */
export const DEFAULT_SCAN_CONCURRENCY = 100;
/** ncat's -m default. */
export const DEFAULT_MAX_CONNS = 100;
/** ncat gives up connecting after 10 s when -w is not given. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** Everything the CLI was asked to do, as plain data. Durations are in milliseconds. */
export interface Options {
  command: 'run' | 'help' | 'version';
  listen: boolean;
  /** Host to connect to, or address to listen on (undefined: every address). */
  host: string | undefined;
  port: number;
  family: 0 | 4 | 6;
  numericOnly: boolean;
  sourceAddress: string | undefined;
  sourcePort: number | undefined;
  /** -U -u -s PATH: the path a Unix datagram client binds (default: an autobound abstract name). */
  sourcePath: string | undefined;
  /** -w; ncat's default is 10 s. */
  connectTimeout: number;
  idleTimeout: number | undefined;
  quitAfterEof: number | undefined;
  verbosity: number;
  sendOnly: boolean;
  recvOnly: boolean;
  noShutdown: boolean;
  crlf: boolean;
  /** Send a PROXY protocol header of this version before any data (connect mode). */
  proxyProtocol: 1 | 2 | undefined;
  /** -k: accept clients until killed; stdin goes to all of them. */
  keepOpen: boolean;
  /** -m: simultaneous connections in listen mode (ncat's default: 100). */
  maxConns: number;
  /** -o: session data, both directions, raw. */
  output: string | undefined;
  /** -x: session data as a hex dump. */
  hexDump: string | undefined;
  /** --append-output: append to -o/-x files instead of truncating them. */
  appendOutput: boolean;
  /** -d: wait after each chunk sent, in milliseconds. */
  delay: number | undefined;
  /** -z: connect and close, sending nothing. */
  zero: boolean;
  /** -z with a port list or range: every port to probe (undefined: the single `port`). */
  scanPorts: number[] | undefined;
  /** --scan-concurrency: ports probed at once. */
  scanConcurrency: number;
  /** --allow/--allowfile/--deny/--denyfile, as given (each may repeat). */
  access: { allow: string[]; allowFiles: string[]; deny: string[]; denyFiles: string[] };
  /**
   * -e (argv split as ncat does), -c (/bin/sh -c), --js-exec (a JavaScript module), --lua-exec (a
   * Lua 5.4 script).
   */
  exec: ExecSpec | undefined;
  /** -u: UDP instead of TCP. */
  udp: boolean;
  /** -U: Unix domain socket; `host` is then the socket path (`@name`: abstract). */
  unixSocket: boolean;
  /** -T, --ttl, --keepalive, -I, -O: socket options (undefined when none is given). */
  socket: SocketOptions | undefined;
  /** --seqpacket: with -U, a SOCK_SEQPACKET socket instead of a stream. */
  seqpacket: boolean;
  /** -t: answer Telnet negotiations (refuse every DO and WILL). */
  telnet: boolean;
  /** --broker: listen, relay every client's bytes to all others. */
  broker: boolean;
  /** --chat: --broker with client names and escaped control characters. */
  chat: boolean;
  /** --json[=FILE]: NDJSON events; '' means standard error. */
  json: string | undefined;
  /** --progress: a transfer meter on standard error when it is a terminal. */
  progress: boolean;
  /** --ssl and every --ssl-* option (each implies --ssl); undefined: no TLS. */
  tls: TlsCliOptions | undefined;
  /** Whose flag meanings were parsed: ncat's, or OpenBSD netcat's (--dialect openbsd, `nc`). */
  dialect: 'ncat' | 'openbsd';
  /**
   * --proxy (repeated, or comma lists): the chain to tunnel through, first hop first; empty when
   * not given. Plain hops carry --proxy-type and --proxy-auth; URL hops their own.
   */
  proxy: ProxyHop[];
  /** --proxy-dns: where destination names are resolved (ncat's default: remote). */
  proxyDns: ProxyDns;
  /** -l --proxy-type http|socks5: run a proxy server instead of a plain listener. */
  proxyServer: 'http' | 'socks5' | undefined;
  /** Credentials the proxy server requires (-l --proxy-auth, or NCAT_PROXY_AUTH). */
  proxyServerAuth: ProxyAuth | undefined;
  /** Never read stdin: sessions start as if it had ended, FIN unless noShutdown (nc.openbsd -d). */
  noStdin: boolean;
  /** Send stdin one line at a time, waiting this many ms after each; also between -z ports. */
  lineInterval: number | undefined;
  /** The idle timeout ends the session with status 0 instead of an error (nc.openbsd -w). */
  idleTimeoutEndsQuietly: boolean;
  /** -k serves one client at a time, the next once the current one ends (nc.openbsd -k). */
  keepOpenSequential: boolean;
  /** -z probes the ports in random order (nc.openbsd -r). */
  scanRandom: boolean;
  /** WebSocket: a ws:// or wss:// URL to connect to, or -l --websocket; undefined: none. */
  websocket: WebSocketCliOptions | undefined;
  /** -l --forward TARGET: relay each client to a new connection to the target. */
  forward: ForwardTarget | undefined;
  /** --retry N / --retry-forever, --retry-delay: reconnect attempts (connect, --forward target). */
  retry: RetryCliOptions | undefined;
  /** --ssl-insecure: do not verify wss:// servers and tls:// / wss:// --forward targets. */
  sslInsecure: boolean;
  /** --ws-text, --ws-lines, --ws-max-message, --ws-ping as given, for a ws:// --forward target. */
  webSocketTuning: ReturnType<typeof webSocketTuning>;
  /**
   * The options given on the command line, by their option-table names (`keep-open`, `ssl`):
   * what the plan checks against its layers (plan.ts). The OpenBSD dialect records the ncat
   * names of its letters that mean the same.
   */
  given: string[];
}

/** Context for parseArgs that is not in argv. */
export interface ParseContext {
  /** The name sockcat was run as (basename of argv[1]): `nc` selects the OpenBSD dialect. */
  invokedAs?: string;
  /** The environment, for variables that stand in for options (NCAT_PROXY_AUTH). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The dialect argv asks for: `--dialect X` / `--dialect=X` before `--`, else by invoked name. */
export function chooseDialect(argv: readonly string[], invokedAs?: string): 'ncat' | 'openbsd' {
  let chosen: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') break;
    if (arg === '--dialect') {
      const value = argv[index + 1];
      if (value === undefined) throw new ArgumentError('option --dialect needs a value');
      chosen = value;
      index++;
    } else if (arg.startsWith('--dialect=')) chosen = arg.slice('--dialect='.length);
  }
  if (chosen === undefined) return invokedAs === 'nc' ? 'openbsd' : 'ncat';
  if (chosen === 'ncat' || chosen === 'openbsd') return chosen;
  throw new ArgumentError(`invalid --dialect ${JSON.stringify(chosen)} (use ncat or openbsd)`);
}

/** What -e, -c, --js-exec or --lua-exec asked to run for each connection. */
export interface ExecSpec {
  kind: 'exec' | 'sh' | 'js' | 'lua';
  /** The command line (-e, -c) or the module or script path (--js-exec, --lua-exec), as given. */
  command: string;
}

const SPEC_BY_NAME = new Map(OPTIONS.map((spec) => [spec.name, spec]));
/** `-q` and `--quit-after-eof` → 'quit-after-eof', for every option that takes a value. */
const VALUE_FLAGS = new Map<string, string>(
  OPTIONS.filter((spec) => spec.value).flatMap((spec) => [
    ...(spec.short ? [[`-${spec.short}`, spec.name] as const] : []),
    [`--${spec.name}`, spec.name] as const,
  ]),
);
const LONG_NAMES = OPTIONS.filter((spec) => !spec.noLong).map((spec) => spec.name);

type ParseConfig = NonNullable<Parameters<typeof nodeParseArgs>[0]>['options'];

const PARSE_CONFIG: ParseConfig = Object.fromEntries(
  OPTIONS.map((spec) => [
    spec.name,
    {
      type: spec.value ? 'string' : 'boolean',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    },
  ]),
);

/** getopt_long accepts any unambiguous prefix of a long option (`--recv` for `--recv-only`). */
function expandLongPrefix(arg: string): string {
  if (!arg.startsWith('--') || arg === '--') return arg;
  const eq = arg.indexOf('=');
  const name = arg.slice(2, eq === -1 ? undefined : eq);
  if (SPEC_BY_NAME.has(name) && !SPEC_BY_NAME.get(name)!.noLong) return arg;
  const matches = LONG_NAMES.filter((long) => long.startsWith(name));
  if (matches.length === 1) return `--${matches[0]}${eq === -1 ? '' : arg.slice(eq)}`;
  if (matches.length > 1) {
    throw new ArgumentError(
      `option --${name} is ambiguous (could be ${matches.map((m) => `--${m}`).join(', ')})`,
    );
  }
  throw new ArgumentError(`unknown option --${name} (try --help)`);
}

function translateParseError(error: unknown): ArgumentError {
  const { code, message } = error as { code?: string; message: string };
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new ArgumentError(`unknown option ${quoted} (try --help)`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flags = quoted.replace(/ <value>$/, '');
    if (message.includes('argument missing')) {
      return new ArgumentError(`option ${flags} needs a value`);
    }
    return new ArgumentError(`option ${flags} does not take a value`);
  }
  return new ArgumentError(message);
}

/**
 * Parse argv (without node and the script) into Options. Pure: no I/O, never exits; throws
 * ArgumentError naming the flag and the value.
 */
export function parseArgs(argv: readonly string[], context: ParseContext = {}): Options {
  if (chooseDialect(argv, context.invokedAs) === 'openbsd') return parseOpenbsdArgs(argv);
  return parseNcatArgs(argv, context.env ?? {});
}

function parseNcatArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Options {
  const dashDash = argv.indexOf('--');
  const args: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (dashDash !== -1 && index >= dashDash) {
      args.push(arg);
      continue;
    }
    const expanded = expandLongPrefix(arg);
    if (expanded === '--json' || expanded === '--keepalive') {
      // An optional value (getopt_long's optional_argument): only `--json=FILE` gives one.
      args.push(`${expanded}=`);
      continue;
    }
    const takesValue = VALUE_FLAGS.get(expanded);
    if (takesValue && /^-\d/.test(argv[index + 1] ?? '')) {
      // A negative value (-q -1: wait forever, as in nc.openbsd) would otherwise read as an
      // option; join it so the option's own check can judge it.
      args.push(`--${takesValue}=${argv[++index]}`);
    } else {
      args.push(expanded);
    }
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({
      args,
      options: PARSE_CONFIG,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw translateParseError(error);
  }
  const values = parsed.values as Record<
    string,
    string | boolean | boolean[] | string[] | undefined
  >;
  // --help and --version answer whatever else is on the line, as in ncat.
  if (values['help'] === true) return { ...defaultOptions(), command: 'help' };
  if (values['version'] === true) return { ...defaultOptions(), command: 'version' };
  const given = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    given.add(token.name);
    const spec = SPEC_BY_NAME.get(token.name)!;
    if (spec.noLong && token.rawName.startsWith('--')) {
      throw new ArgumentError(`unknown option ${token.rawName} (try --help)`);
    }
    refuseUnavailable(spec);
  }

  const dialect = values['dialect'];
  if (dialect !== undefined && dialect !== 'ncat') {
    // Only an abbreviated `--dia openbsd` gets here: chooseDialect() reads the full name.
    throw new ArgumentError(`write --dialect in full to choose ${JSON.stringify(dialect)}`);
  }
  const options: Options = {
    ...defaultOptions(),
    listen: values['listen'] === true,
    numericOnly: values['nodns'] === true,
    verbosity: (values['verbose'] as boolean[] | undefined)?.length ?? 0,
    sendOnly: values['send-only'] === true,
    recvOnly: values['recv-only'] === true,
    noShutdown: values['no-shutdown'] === true,
    crlf: values['crlf'] === true,
    keepOpen: values['keep-open'] === true,
    zero: values['zero'] === true,
    access: {
      allow: (values['allow'] as string[] | undefined) ?? [],
      allowFiles: (values['allowfile'] as string[] | undefined) ?? [],
      deny: (values['deny'] as string[] | undefined) ?? [],
      denyFiles: (values['denyfile'] as string[] | undefined) ?? [],
    },
    appendOutput: values['append-output'] === true,
    output: values['output'] as string | undefined,
    hexDump: values['hex-dump'] as string | undefined,
    udp: values['udp'] === true,
    unixSocket: values['unixsock'] === true,
    seqpacket: values['seqpacket'] === true,
    telnet: values['telnet'] === true,
    chat: values['chat'] === true,
    // --chat is --broker with names, and both listen (as in ncat).
    broker: values['broker'] === true || values['chat'] === true,
    json: values['json'] as string | undefined,
    progress: values['progress'] === true,
    given: [...given],
  };
  if (options.broker) options.listen = true;

  for (const flag of ['allow', 'deny'] as const) {
    // An empty list would allow nobody (or deny nobody) without saying so: an error, like ' '.
    const empty = options.access[flag].find((list) => list.split(',').every((item) => item === ''));
    if (empty !== undefined) {
      throw new ArgumentError(
        `invalid --${flag} ${JSON.stringify(empty)}: no host specification given`,
      );
    }
  }

  const execs = (
    [
      ['exec', 'exec', '-e'],
      ['sh-exec', 'sh', '-c'],
      ['js-exec', 'js', '--js-exec'],
      ['lua-exec', 'lua', '--lua-exec'],
    ] as const
  ).filter(([name]) => values[name] !== undefined);
  if (execs.length > 1) {
    throw new ArgumentError(
      `${execs.map(([, , flag]) => flag).join(' and ')} cannot be used together (one command per connection)`,
    );
  }
  if (execs[0]) {
    const [name, kind, flag] = execs[0];
    const command = values[name] as string;
    if (command.trim() === '') throw new ArgumentError(`option ${flag} needs a command`);
    options.exec = { kind, command };
  }
  if (options.exec && options.zero) {
    throw new ArgumentError(
      '-z sends nothing; it cannot be used with -e, -c, --js-exec or --lua-exec',
    );
  }
  if (options.exec && options.broker) {
    throw new ArgumentError(
      '--broker and --chat relay between clients; -e, -c, --js-exec and --lua-exec cannot be used with them',
    );
  }
  // As ncat 7.93, which refuses both ("UDP mode does not support connection brokering").
  if (options.broker && (options.udp || options.unixSocket)) {
    throw new ArgumentError(
      `--broker and --chat work over TCP only; ${options.udp ? '-u (UDP)' : '-U (Unix sockets)'} cannot be used with them`,
    );
  }

  if (options.udp) refuseWithUdp(options, values);

  if (values['ipv4'] === true && values['ipv6'] === true) {
    throw new ArgumentError('-4 and -6 cannot be used together');
  }
  if (values['ipv4'] === true) options.family = 4;
  if (values['ipv6'] === true) options.family = 6;
  if (options.sendOnly && options.recvOnly) {
    throw new ArgumentError('--send-only and --recv-only cannot be used together');
  }

  const str = (name: string) => values[name] as string | undefined;
  const wait = str('wait');
  if (wait !== undefined) options.connectTimeout = parseDuration(wait, '-w');
  const idle = str('idle-timeout');
  if (idle !== undefined) options.idleTimeout = parseDuration(idle, '-i');
  const delay = str('delay');
  if (delay !== undefined) options.delay = parseDuration(delay, '-d');
  const maxConns = str('max-conns');
  if (maxConns !== undefined) {
    if (!/^\d+$/.test(maxConns) || Number(maxConns) < 1) {
      throw new ArgumentError(
        `invalid -m max connections ${JSON.stringify(maxConns)} (a whole number, at least 1)`,
      );
    }
    options.maxConns = Number(maxConns);
  }
  const scanConcurrency = str('scan-concurrency');
  if (scanConcurrency !== undefined) {
    if (!/^\d+$/.test(scanConcurrency) || Number(scanConcurrency) < 1) {
      throw new ArgumentError(
        `invalid --scan-concurrency ${JSON.stringify(scanConcurrency)} (a whole number, at least 1)`,
      );
    }
    options.scanConcurrency = Number(scanConcurrency);
  }
  if (options.zero && options.progress) {
    throw new ArgumentError('--progress shows a transfer; -z transfers nothing');
  }
  if (options.zero && options.listen)
    throw new ArgumentError('-z scans ports; it does not apply to -l');
  if (options.keepOpen && !options.listen) {
    throw new ArgumentError('-k (keep open) needs -l (listen mode)');
  }
  const quit = str('quit-after-eof');
  if (quit !== undefined) options.quitAfterEof = parseQuit(quit);

  const proxyProtocol = str('proxy-protocol');
  if (proxyProtocol !== undefined) {
    const version = { v1: 1, '1': 1, v2: 2, '2': 2 }[proxyProtocol.toLowerCase()] as
      | 1
      | 2
      | undefined;
    if (version === undefined) {
      throw new ArgumentError(
        `invalid --proxy-protocol version ${JSON.stringify(proxyProtocol)} (use v1 or v2)`,
      );
    }
    if (options.listen)
      throw new ArgumentError(
        '--proxy-protocol sends a header when connecting; it does not apply to -l',
      );
    options.proxyProtocol = version;
  }
  if (options.exec) validateExec(options, options.exec);

  options.tls = parseTlsArgs(values, options.listen, options.udp);
  options.socket = parseSocketFlags(options, values);
  if (options.tls && options.zero) {
    throw new ArgumentError('-z only checks that ports answer; it cannot be used with --ssl');
  }
  if (options.tls && options.proxyProtocol !== undefined) {
    // The header belongs before the TLS handshake, on the bare connection; not built yet.
    throw new ArgumentError('--proxy-protocol cannot be used with --ssl yet');
  }
  const source = str('source');
  if (source !== undefined && options.unixSocket) {
    // -U -u: -s names the path the client binds, so that the peer can answer it (as ncat).
    if (!options.udp || options.listen) {
      throw new ArgumentError(
        `-s cannot be used with -U${options.udp ? ' -u -l' : ''}: only a Unix datagram client (-U -u) binds a source path`,
      );
    }
    if (source === '' || source === '@') {
      throw new ArgumentError(`invalid -s source path ${JSON.stringify(source)}`);
    }
    options.sourcePath = source;
  } else if (source !== undefined) {
    const address = unbracket(source);
    if (ipFamily(address) === 0) {
      throw new ArgumentError(
        `invalid -s source address ${JSON.stringify(source)}: not an IP address`,
      );
    }
    options.sourceAddress = address;
  }
  assignProxy(options, values, env);
  const portFlag = str('source-port');
  const positionals = parsed.positionals;
  options.websocket = parseWebSocketArgs(values, options.listen, positionals);
  options.webSocketTuning = webSocketTuning(values);
  options.forward = parseForwardArgs(values);
  options.retry = parseRetryArgs(values);
  options.sslInsecure = values['ssl-insecure'] === true;
  if (options.sslInsecure && options.tls?.verify) {
    throw new ArgumentError('--ssl-insecure and --ssl-verify cannot be used together');
  }
  const url = options.websocket?.url;
  if (url) {
    // The URL is the whole target; wss:// is TLS that verifies the server unless --ssl-insecure.
    options.host = url.host;
    options.port = url.port;
    if (portFlag !== undefined) options.sourcePort = parsePort(portFlag, 'source port');
    if (url.secure) {
      options.tls = { ...(options.tls ?? noTlsOptions()), verify: !options.sslInsecure };
    }
    return options;
  }
  if (options.seqpacket && !options.unixSocket) {
    throw new ArgumentError('--seqpacket is a Unix socket type: it needs -U');
  }
  if (options.unixSocket) {
    assignUnixTarget(options, positionals, portFlag, values);
  } else if (options.listen) {
    assignListenTarget(options, positionals, portFlag);
  } else {
    assignConnectTarget(options, positionals, portFlag);
  }
  return options;
}

/** The flag that asked for each exec kind, for messages. */
const EXEC_FLAG = { exec: '-e', sh: '-c', js: '--js-exec', lua: '--lua-exec' } as const;

/**
 * Options that cannot work with -e/-c/--js-exec/--lua-exec fail by name rather than being ignored: sockcat's
 * own stdin and stdout are not relayed there, and a --js-exec module does its own sending.
 */
function validateExec(options: Options, exec: ExecSpec): void {
  const flag = EXEC_FLAG[exec.kind];
  const stdio: [boolean, string][] = [
    [options.sendOnly, '--send-only'],
    [options.recvOnly, '--recv-only'],
    [options.noShutdown, '--no-shutdown'],
    [options.quitAfterEof !== undefined, '-q'],
  ];
  for (const [given, name] of stdio) {
    if (given) {
      throw new ArgumentError(
        `${name} is about standard input and output, which ${flag} does not relay; it cannot be used with ${flag}`,
      );
    }
  }
  if (exec.kind !== 'js') return;
  const taps: [boolean, string][] = [
    [options.crlf, '-C'],
    [options.output !== undefined, '-o'],
    [options.hexDump !== undefined, '-x'],
    [options.delay !== undefined, '-d'],
  ];
  for (const [given, name] of taps) {
    if (given) {
      throw new ArgumentError(
        `${name} cannot be used with --js-exec: the module sends and receives on the connection itself`,
      );
    }
  }
}

/** TLS with nothing chosen yet (wss:// asks for TLS without any --ssl option). */
function noTlsOptions(): TlsCliOptions {
  return {
    certFile: undefined,
    keyFile: undefined,
    verify: false,
    trustFile: undefined,
    ciphers: undefined,
    servername: undefined,
    alpn: undefined,
    pin: undefined,
    minVersion: undefined,
  };
}

/** The options of a bare `sockcat` run, before argv says otherwise. */
export function defaultOptions(): Options {
  return {
    command: 'run',
    listen: false,
    host: undefined,
    port: DEFAULT_PORT,
    family: 0,
    numericOnly: false,
    sourceAddress: undefined,
    sourcePort: undefined,
    sourcePath: undefined,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT,
    idleTimeout: undefined,
    quitAfterEof: undefined,
    verbosity: 0,
    sendOnly: false,
    recvOnly: false,
    noShutdown: false,
    crlf: false,
    proxyProtocol: undefined,
    keepOpen: false,
    maxConns: DEFAULT_MAX_CONNS,
    output: undefined,
    hexDump: undefined,
    appendOutput: false,
    delay: undefined,
    zero: false,
    scanPorts: undefined,
    scanConcurrency: DEFAULT_SCAN_CONCURRENCY,
    access: { allow: [], allowFiles: [], deny: [], denyFiles: [] },
    exec: undefined,
    udp: false,
    unixSocket: false,
    seqpacket: false,
    socket: undefined,
    telnet: false,
    broker: false,
    chat: false,
    json: undefined,
    progress: false,
    tls: undefined,
    dialect: 'ncat',
    proxy: [],
    proxyDns: 'remote',
    proxyServer: undefined,
    proxyServerAuth: undefined,
    noStdin: false,
    lineInterval: undefined,
    idleTimeoutEndsQuietly: false,
    keepOpenSequential: false,
    scanRandom: false,
    websocket: undefined,
    forward: undefined,
    retry: undefined,
    sslInsecure: false,
    webSocketTuning: {
      path: undefined,
      framing: 'binary',
      maxMessageSize: undefined,
      pingInterval: undefined,
    },
    given: [],
  };
}

/**
 * --proxy, --proxy-type, --proxy-auth, --proxy-dns. Connecting: the chain (plain hops take the
 * type and credentials, URL hops their own). Listening: --proxy-type http|socks5 makes a proxy
 * server and --proxy-auth its required credentials. NCAT_PROXY_AUTH stands in for --proxy-auth.
 */
function assignProxy(
  options: Options,
  values: Record<string, string | boolean | boolean[] | string[] | undefined>,
  env: Readonly<Record<string, string | undefined>>,
): void {
  const proxies = (values['proxy'] as string[] | undefined) ?? [];
  const typeText = values['proxy-type'] as string | undefined;
  const type: ProxyType | undefined = typeText === undefined ? undefined : parseProxyType(typeText);
  const authText = (values['proxy-auth'] as string | undefined) ?? env['NCAT_PROXY_AUTH'];
  const authGiven = values['proxy-auth'] !== undefined;
  // An explicit empty --proxy-auth is sent as such (as ncat); an empty NCAT_PROXY_AUTH is none.
  const auth =
    authText === undefined || (authText === '' && !authGiven)
      ? undefined
      : parseProxyAuth(authText);
  const dnsText = values['proxy-dns'] as string | undefined;
  if (dnsText !== undefined) options.proxyDns = parseProxyDns(dnsText);
  // With --forward, --proxy is the way to the target.
  if (options.listen && (values['forward'] === undefined || proxies.length === 0)) {
    if (proxies.length > 0) {
      throw new ArgumentError(
        '--proxy connects through a proxy; it cannot be used with -l (for a proxy server use -l --proxy-type http|socks5)',
      );
    }
    if (dnsText !== undefined) {
      throw new ArgumentError('--proxy-dns applies to connecting through a proxy, not to -l');
    }
    if (type === undefined) {
      if (authGiven) throw new ArgumentError('--proxy-auth with -l needs --proxy-type http|socks5');
      return;
    }
    if (type === 'socks4') {
      throw new ArgumentError(
        'invalid --proxy-type "socks4" with -l: sockcat\'s proxy servers speak http and socks5',
      );
    }
    const conflicts = [
      [options.exec !== undefined, '-e, -c, --js-exec and --lua-exec'],
      [options.broker, '--broker and --chat'],
      [options.udp, '-u'],
      [options.unixSocket, '-U'],
      [options.sendOnly || options.recvOnly, '--send-only and --recv-only'],
      [options.output !== undefined || options.hexDump !== undefined, '-o and -x'],
    ] as const;
    for (const [conflict, flags] of conflicts) {
      if (conflict) {
        throw new ArgumentError(`${flags} cannot be used with a proxy server (-l --proxy-type)`);
      }
    }
    if (type === 'socks5' && auth && auth.username === '') {
      throw new ArgumentError(
        '--proxy-auth for a socks5 proxy server needs a user name (SOCKS5 username/password has no empty one)',
      );
    }
    options.proxyServer = type;
    options.proxyServerAuth = auth;
    return;
  }
  if (proxies.length === 0) {
    if (type !== undefined) {
      throw new ArgumentError('--proxy-type given without a proxy address (--proxy)');
    }
    if (authGiven) throw new ArgumentError('--proxy-auth given without a proxy address (--proxy)');
    if (dnsText !== undefined) {
      throw new ArgumentError('--proxy-dns given without a proxy address (--proxy)');
    }
    return;
  }
  if (options.udp) throw new ArgumentError('--proxy tunnels TCP; it cannot be used with -u');
  if (options.unixSocket) throw new ArgumentError('--proxy cannot be used with -U');
  if (options.zero) throw new ArgumentError('-z cannot scan through a proxy (--proxy)');
  options.proxy = parseProxyChain(proxies, { type: type ?? 'http', auth });
  for (const hop of options.proxy) {
    if (hop.type === 'socks4' && hop.auth && hop.auth.password !== '') {
      throw new ArgumentError('--proxy-auth for a socks4 proxy is a user id only (no ":password")');
    }
    if (hop.type === 'socks5' && hop.auth && hop.auth.username === '') {
      throw new ArgumentError(
        '--proxy-auth for a socks5 proxy needs a user name (SOCKS5 username/password has no empty one)',
      );
    }
  }
}

function refuseUnavailable(spec: OptionSpec): void {
  if (spec.status === 'planned') {
    throw new ArgumentError(`option ${flagNames(spec)} is not implemented yet`);
  }
  if (spec.status === 'refused') {
    throw new ArgumentError(`option ${flagNames(spec)} is not supported: ${spec.reason}`);
  }
}

/** Options that do not work over UDP (yet), each refused with the reason. */
function refuseWithUdp(
  options: Options,
  values: Record<string, string | boolean | boolean[] | string[] | undefined>,
): void {
  if (options.broker) {
    throw new ArgumentError('-u: UDP mode does not support --broker or --chat (as in ncat)');
  }
  if (options.telnet)
    throw new ArgumentError('-t (Telnet) needs a stream; it cannot be used with -u');
  if (values['proxy-protocol'] !== undefined) {
    throw new ArgumentError('--proxy-protocol is for TCP; it cannot be used with -u');
  }
  if (values['proxy'] !== undefined) {
    throw new ArgumentError('--proxy relays TCP; it cannot be used with -u');
  }
  for (const name of Object.keys(values)) {
    if (name.startsWith('ssl') && values[name] !== undefined && values[name] !== false) {
      throw new ArgumentError(`--${name}: TLS over UDP (DTLS) is not supported with -u`);
    }
  }
}

/** `-q` takes a duration; a negative number means wait forever (nc.openbsd). */
function parseQuit(text: string): number | undefined {
  if (/^-\d+(\.\d+)?$/.test(text.trim())) return undefined;
  return parseDuration(text, '-q', true);
}

function assignListenTarget(options: Options, positionals: string[], portFlag: string | undefined) {
  if (positionals.length > 2) {
    throw new ArgumentError(`too many arguments: ${positionals.slice(2).join(' ')}`);
  }
  let [host, port] = positionals;
  if (port === undefined && host !== undefined && /^\d+$/.test(host)) {
    port = host;
    host = undefined;
  }
  if (port !== undefined && portFlag !== undefined && port !== portFlag) {
    throw new ArgumentError(`two listen ports given: -p ${portFlag} and ${port}`);
  }
  const chosen = port ?? portFlag;
  if (chosen !== undefined) options.port = parsePort(chosen);
  if (host !== undefined) options.host = unbracket(host);
}

function assignConnectTarget(
  options: Options,
  positionals: string[],
  portFlag: string | undefined,
) {
  const [host, port, ...extra] = positionals;
  if (host === undefined) throw new ArgumentError('you must specify a host to connect to');
  if (extra.length > 0) throw new ArgumentError(`too many arguments: ${extra.join(' ')}`);
  options.host = unbracket(host);
  if (port !== undefined && options.zero && /[,-]/.test(port)) {
    options.scanPorts = parsePortList(port);
  } else if (port !== undefined) {
    options.port = parsePort(port);
  }
  if (portFlag !== undefined) options.sourcePort = parsePort(portFlag, 'source port');
}

/**
 * -U: the one positional argument is the socket path (`@name`: a Linux abstract socket). Ports,
 * source addresses, IP families and IP access lists have no meaning there: each is an error.
 */
function assignUnixTarget(
  options: Options,
  positionals: string[],
  portFlag: string | undefined,
  values: Record<string, unknown>,
) {
  const [path, ...extra] = positionals;
  if (portFlag !== undefined) {
    throw new ArgumentError(`-p ${portFlag}: a Unix socket (-U) has no port`);
  }
  if (path === undefined) {
    throw new ArgumentError(
      `you must specify the path of a socket to ${options.listen ? 'listen on' : 'connect to'} (-U)`,
    );
  }
  if (extra.length > 0) {
    throw new ArgumentError(
      `too many arguments: ${extra.join(' ')} (with -U the only argument is the socket path)`,
    );
  }
  if (path === '' || path === '@') {
    throw new ArgumentError(`invalid Unix socket path ${JSON.stringify(path)}`);
  }
  if (options.seqpacket && (options.udp || options.zero)) {
    throw new ArgumentError(`--seqpacket cannot be used with ${options.udp ? '-u' : '-z'}`);
  }
  if (options.udp && options.zero) {
    throw new ArgumentError(
      '-z cannot be used with -U -u: a Unix datagram socket has no port to probe',
    );
  }
  const conflicts = [
    ['-4', values['ipv4']],
    ['-6', values['ipv6']],
  ].filter(([, value]) => value !== undefined);
  if (conflicts.length > 0) {
    throw new ArgumentError(
      `${conflicts.map(([flag]) => flag).join(' and ')} cannot be used with -U: a Unix socket has no IP address`,
    );
  }
  const { access } = options;
  if (
    access.allow.length +
    access.allowFiles.length +
    access.deny.length +
    access.denyFiles.length
  ) {
    throw new ArgumentError(
      '--allow and --deny filter IP addresses; Unix socket clients have none (use the permissions of the socket directory instead)',
    );
  }
  options.host = path;
}

/** The --help text, generated from the option table. */
export function helpText(version: string): string {
  const lines = [
    `sockcat ${version} - an ncat-compatible sockets tool`,
    'Usage: sockcat [options] [hostname] [port]',
    '',
    "Options taking a time assume seconds. Append 'ms' for milliseconds,",
    "'s' for seconds, 'm' for minutes, or 'h' for hours (e.g. 500ms).",
  ];
  for (const spec of OPTIONS) {
    const flags = spec.short ? `-${spec.short}${spec.noLong ? '' : ','}` : '   ';
    const long = spec.noLong ? '' : ` --${spec.name}`;
    const value = spec.value ? ` <${spec.value}>` : '';
    const note =
      spec.status === 'planned' ? ' (not yet)' : spec.status === 'refused' ? ' (unsupported)' : '';
    lines.push(`  ${`${flags}${long}${value}`.padEnd(32)} ${spec.help}${note}`);
  }
  lines.push('', 'See docs/cli.md for every option and docs/eof.md for end-of-file rules.');
  return `${lines.join('\n')}\n`;
}

/** -T, --ttl, --keepalive, -I, -O as SocketOptions; refused where sockcat cannot set them yet. */
function parseSocketFlags(
  options: Options,
  values: Record<string, unknown>,
): SocketOptions | undefined {
  const text = (name: string) => values[name] as string | undefined;
  const socket: SocketOptions = {};
  const given: string[] = [];
  const tos = text('tos');
  if (tos !== undefined) {
    socket.tos = parseTos(tos);
    given.push('-T');
  }
  const ttl = text('ttl');
  if (ttl !== undefined) {
    socket.ttl = parseTtl(ttl);
    given.push('--ttl');
  }
  const receive = text('rcvbuf');
  if (receive !== undefined) {
    socket.receiveBufferSize = parseBufferSize(receive, '-I');
    given.push('-I');
  }
  const send = text('sndbuf');
  if (send !== undefined) {
    socket.sendBufferSize = parseBufferSize(send, '-O');
    given.push('-O');
  }
  const keepAlive = text('keepalive');
  if (keepAlive !== undefined) {
    socket.keepAlive = parseKeepAlive(keepAlive);
    given.push('--keepalive');
  }
  if (given.length === 0) return undefined;
  const flags = given.join(', ');
  if (options.unixSocket) {
    throw new ArgumentError(`${flags}: IP socket options; a Unix socket (-U) has none`);
  }
  if (options.udp && socket.keepAlive !== undefined) {
    throw new ArgumentError('--keepalive is for TCP; UDP has no connection to keep alive');
  }
  if (options.udp && options.listen) {
    throw new ArgumentError(`${flags} with -u -l is not implemented yet`);
  }
  if (options.zero) throw new ArgumentError(`${flags} cannot be used with -z`);
  return socket;
}
