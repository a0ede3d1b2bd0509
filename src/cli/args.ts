/**
 * The ncat dialect's argv parser: argv → Options (options.ts). Pure: no I/O, never exits. The
 * positional arguments are targets.ts's, the proxy arguments proxy-args.ts's; which option works in
 * which mode is the plan's (plan.ts, option-rules.ts). `nc` and `--dialect openbsd` go to
 * dialect-openbsd.ts.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { unbracket } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { parsePort } from '../address/port.js';
import { quoteInput } from '../address/quote.js';
import { checkUnixPath } from '../address/unix-path.js';
import { ArgumentError } from '../errors.js';
import type { SocketOptions } from '../transports/socket-options.js';
import { parseShell } from './completions.js';
import { parseOpenbsdArgs } from './dialect-openbsd.js';
import { parseDuration } from './duration.js';
import { flagNames, OPTIONS, type OptionSpec } from './option-table.js';
import { defaultOptions, type ExecSpec, type Options } from './options.js';
import { assignProxy } from './proxy-args.js';
import { parseBufferSize, parseKeepAlive, parseTos, parseTtl } from './socket-flags.js';
import { nearest } from './suggest.js';
import { assignConnectTarget, assignListenTarget, assignUnixTarget } from './targets.js';
import { parseTlsArgs, type TlsCliOptions } from './tls-args.js';
import {
  parseForwardArgs,
  parseRetryArgs,
  parseWebSocketArgs,
  webSocketTuning,
} from './websocket-args.js';

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
  throw new ArgumentError(`invalid --dialect ${quoteInput(chosen)} (use ncat or openbsd)`);
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
  throw unknownOption(`--${name}`);
}

/** "unknown option --lisen (did you mean --listen?)", or "(try --help)" when nothing is near. */
function unknownOption(flag: string): ArgumentError {
  const guess = flag.startsWith('--') ? nearest(flag.slice(2), LONG_NAMES) : undefined;
  return new ArgumentError(
    `unknown option ${flag} (${guess === undefined ? 'try --help' : `did you mean --${guess}?`})`,
  );
}

function translateParseError(error: unknown): ArgumentError {
  const { code, message } = error as { code?: string; message: string };
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return unknownOption(quoted);
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
  /** The word after a bare --json: a user who meant it as the file gets told how to write it. */
  let afterBareJson: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (dashDash !== -1 && index >= dashDash) {
      args.push(arg);
      continue;
    }
    const expanded = expandLongPrefix(arg);
    if (expanded === '--json' || expanded === '--keepalive') {
      // An optional value (getopt_long's optional_argument): only `--json=FILE` gives one.
      if (expanded === '--json') afterBareJson = argv[index + 1];
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
  const shell = values['completions'];
  if (typeof shell === 'string') {
    return { ...defaultOptions(), command: 'completions', completions: parseShell(shell) };
  }
  const given = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    given.add(token.name);
    const spec = SPEC_BY_NAME.get(token.name)!;
    if (spec.noLong && token.rawName.startsWith('--')) {
      throw unknownOption(token.rawName);
    }
    refuseUnavailable(spec);
  }

  const dialect = values['dialect'];
  if (dialect !== undefined && dialect !== 'ncat') {
    // Only an abbreviated `--dia openbsd` gets here: chooseDialect() reads the full name.
    throw new ArgumentError(`write --dialect in full to choose ${quoteInput(String(dialect))}`);
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
    pty: values['pty'] === true,
    ptySize: parsePtySize(values['pty-size'] as string | undefined),
    raw: values['raw'] === true,
    ptyResize: values['pty-resize'] === true,
    given: [...given],
  };
  if (options.broker) options.listen = true;

  for (const flag of ['allow', 'deny'] as const) {
    // An empty list would allow nobody (or deny nobody) without saying so: an error, like ' '.
    const empty = options.access[flag].find((list) => list.split(',').every((item) => item === ''));
    if (empty !== undefined) {
      throw new ArgumentError(
        `invalid --${flag} ${quoteInput(empty)}: no host specification given`,
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
        `invalid -m max connections ${quoteInput(maxConns)} (a whole number, at least 1)`,
      );
    }
    options.maxConns = Number(maxConns);
  }
  const scanConcurrency = str('scan-concurrency');
  if (scanConcurrency !== undefined) {
    if (!/^\d+$/.test(scanConcurrency) || Number(scanConcurrency) < 1) {
      throw new ArgumentError(
        `invalid --scan-concurrency ${quoteInput(scanConcurrency)} (a whole number, at least 1)`,
      );
    }
    options.scanConcurrency = Number(scanConcurrency);
  }
  if (options.ptySize && !options.pty) {
    throw new ArgumentError("--pty-size sets the size of --pty's terminal; it needs --pty");
  }
  if (options.ptyResize && !options.raw && !options.pty) {
    throw new ArgumentError(
      '--pty-resize sends the window size from a --raw terminal and applies it to a --pty command; it needs --raw or --pty',
    );
  }
  if (options.zero && options.progress) {
    throw new ArgumentError('--progress shows a transfer; -z transfers nothing');
  }
  if (options.zero && options.listen)
    throw new ArgumentError('-z scans ports; it does not apply to -l');
  if (options.keepOpen && !options.listen) refuseConnectKeepOpen(options);
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
        `invalid --proxy-protocol version ${quoteInput(proxyProtocol)} (use v1 or v2)`,
      );
    }
    if (options.listen)
      throw new ArgumentError(
        '--proxy-protocol sends a header when connecting; it does not apply to -l',
      );
    options.proxyProtocol = version;
  }
  if (options.exec) validateExec(options, options.exec);

  options.tls = parseTlsArgs(values, options.listen);
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
    checkUnixPath(source, '-s source path');
    options.sourcePath = source;
  } else if (source !== undefined) {
    const address = unbracket(source);
    if (ipFamily(address) === 0) {
      throw new ArgumentError(`invalid -s source address ${quoteInput(source)}: not an IP address`);
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
  try {
    if (options.unixSocket) {
      assignUnixTarget(options, positionals, portFlag, values);
    } else if (options.listen) {
      assignListenTarget(options, positionals, portFlag);
    } else {
      assignConnectTarget(options, positionals, portFlag);
    }
  } catch (error) {
    const file = afterBareJson;
    if (
      file !== undefined &&
      positionals[0] === file &&
      error instanceof ArgumentError &&
      error.message.startsWith('too many arguments')
    ) {
      throw new ArgumentError(
        `--json takes its file only after "=": write --json=${file} (a bare --json writes to stderr, and ${JSON.stringify(file)} was read as the host)`,
      );
    }
    throw error;
  }
  return options;
}

/**
 * -k in connect mode (ncat 7.96) keeps the session half-open after the peer's EOF: stdout is
 * closed and stdin goes on being sent. It is about the stdin/stdout relay of a stream socket, so
 * it is refused where there is no such relay or no end of file.
 */
function refuseConnectKeepOpen(options: Options): void {
  const without: [boolean, string][] = [
    [options.udp, '-u (a datagram socket has no end of file)'],
    [options.zero, '-z (nothing is relayed)'],
    [options.exec !== undefined, '-e, -c or --js-exec (stdin and stdout are not relayed)'],
    [options.sendOnly, "--send-only (the peer's end of file is ignored anyway)"],
    [options.recvOnly, '--recv-only (stdin is not read, so nothing is left to send)'],
  ];
  for (const [given, name] of without) {
    if (given) {
      throw new ArgumentError(
        `-k in connect mode keeps sending stdin after the peer's end of file; it cannot be used with ${name}`,
      );
    }
  }
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
}

/** `-q` takes a duration; a negative number means wait forever (nc.openbsd). */
function parseQuit(text: string): number | undefined {
  if (/^-\d+(\.\d+)?$/.test(text.trim())) return undefined;
  return parseDuration(text, '-q', true);
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

/** --pty-size COLSxROWS: columns and rows, each 1..65535. */
export function parsePtySize(
  value: string | undefined,
): { cols: number; rows: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(value);
  const cols = Number(match?.[1]);
  const rows = Number(match?.[2]);
  if (!match || cols < 1 || rows < 1 || cols > 65535 || rows > 65535) {
    throw new ArgumentError(
      `invalid --pty-size ${JSON.stringify(value)}: expected COLSxROWS, such as 120x40`,
    );
  }
  return { cols, rows };
}
