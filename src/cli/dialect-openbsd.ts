/**
 * OpenBSD netcat's flags (Debian's netcat-openbsd 1.219, `nc`) translated into sockcat's Options.
 * Pure: no I/O. The flag-by-flag contract, with what nc.openbsd does, is docs/cli.md's
 * "OpenBSD netcat dialect" table.
 */
import { unbracket } from '../address/host-port.js';
import { ipFamily } from '../address/ip.js';
import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';
import { type ProxyType, parseProxySpec } from '../proxy/proxy-spec.js';
import { defaultOptions, type Options } from './options.js';
import { parsePortList } from './port-list.js';
import { parseBufferSize, parseTos, parseTtl } from './socket-flags.js';

/** nc.openbsd's getopt string: a letter followed by ':' takes a value. */
const OPTSTRING = '46bCDdFhI:i:klM:m:NnO:P:p:q:rSs:T:tUuV:vW:w:X:x:Zz';

const TAKES_VALUE = new Set([...OPTSTRING.matchAll(/([A-Za-z0-9]):/g)].map((match) => match[1]!));
const KNOWN = new Set(OPTSTRING.replace(/:/g, '').split(''));

/** Flags nc.openbsd has and sockcat does not do, with the reason given to the user. */
/** -X: nc's proxy protocol names. */
const PROXY_PROTOCOLS: Readonly<Record<string, ProxyType>> = {
  '4': 'socks4',
  '5': 'socks5',
  connect: 'http',
};

const UNSUPPORTED: Record<string, string> = {
  b: 'broadcast is for UDP, and sockcat has no UDP in this dialect yet',
  D: 'SO_DEBUG needs privileges and only feeds kernel traces',
  F: 'passing the connected socket to stdout with sendmsg(2) is not built',
  m: 'a minimum incoming TTL is not built',
  P: 'nc asks for the proxy password on the terminal; use the ncat dialect (--proxy-auth)',
  S: 'TCP MD5 signatures need a key configured in the kernel',
  V: 'routing tables (rtable) exist on OpenBSD only',
  W: 'a packet count limit is meaningless for a byte stream relay',
  Z: 'DCCP is out of scope',
};

/**
 * nc's letters that mean what an ncat option means, by the ncat option's name: what the plan's
 * rules table (shared by both dialects) checks. Letters with a meaning of their own are absent.
 */
const NCAT_NAMES: Readonly<Record<string, string>> = {
  '4': 'ipv4',
  '6': 'ipv6',
  C: 'crlf',
  I: 'rcvbuf',
  k: 'keep-open',
  l: 'listen',
  M: 'ttl',
  n: 'nodns',
  O: 'sndbuf',
  p: 'source-port',
  T: 'tos',
  t: 'telnet',
  U: 'unixsock',
  u: 'udp',
  v: 'verbose',
  x: 'proxy',
  X: 'proxy-type',
  z: 'zero',
};

/** nc's whole-second values: -w, -i (at least 0) and -q (negative: forever). */
function seconds(text: string, flag: string, what: string, allowNegative = false): number {
  const pattern = allowNegative ? /^-?\d+$/ : /^\d+$/;
  if (!pattern.test(text) || Math.abs(Number(text)) > 2_147_483) {
    throw new ArgumentError(
      `invalid ${flag} ${what} ${JSON.stringify(text)} (whole seconds${allowNegative ? '; negative: forever' : ''})`,
    );
  }
  return Number(text);
}

interface Flag {
  letter: string;
  value: string | undefined;
}

/** getopt(3) as glibc does it: bundles (`-lvnp 80`), attached values (`-w5`), permuted operands. */
function getopt(argv: readonly string[]): { flags: Flag[]; operands: string[] } {
  const flags: Flag[] = [];
  const operands: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      operands.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      // nc.openbsd says "invalid option -- '-'"; name the option instead (not its value).
      const name = arg.split('=', 1)[0]!;
      throw new ArgumentError(
        `invalid option ${name}: OpenBSD netcat has one-letter options only (use sockcat without --dialect openbsd for ${name})`,
      );
    }
    for (let at = 1; at < arg.length; at++) {
      const letter = arg[at]!;
      if (!KNOWN.has(letter)) {
        const hint =
          letter === 'e' || letter === 'c'
            ? ' (OpenBSD netcat has no -e or -c; use sockcat without --dialect openbsd)'
            : '';
        throw new ArgumentError(`invalid option -${letter}${hint}`);
      }
      if (!TAKES_VALUE.has(letter)) {
        flags.push({ letter, value: undefined });
        continue;
      }
      let value = arg.slice(at + 1);
      if (value === '') {
        if (index + 1 >= argv.length) throw new ArgumentError(`option -${letter} needs a value`);
        value = argv[++index]!;
      }
      flags.push({ letter, value });
      break;
    }
  }
  return { flags, operands };
}

/** `--dialect openbsd` and `--dialect=openbsd`, wherever they are before `--`, are removed. */
function withoutDialectFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      out.push(...argv.slice(index));
      break;
    }
    if (arg === '--dialect') {
      index++;
      continue;
    }
    if (arg.startsWith('--dialect=')) continue;
    out.push(arg);
  }
  return out;
}

/**
 * -u, -U and -t work in the ncat dialect, but their nc.openbsd meanings (connect and listen
 * rules, messages) are not wired into this dialect yet: refused by name rather than run with
 * ncat's behaviour under nc's flags.
 */
function refuseIfNotBuilt(_name: string, letter: string, what: string): void {
  throw new ArgumentError(
    `option -${letter} (${what}) is not implemented yet in the OpenBSD dialect (use the ncat dialect)`,
  );
}

/**
 * Parse OpenBSD netcat's argv (without node and the script; `--dialect openbsd` may be among it)
 * into Options with `dialect: 'openbsd'`. Throws ArgumentError naming the flag and the value.
 */
export function parseOpenbsdArgs(argv: readonly string[]): Options {
  const { flags, operands } = getopt(withoutDialectFlag(argv));
  const options: Options = {
    ...defaultOptions(),
    dialect: 'openbsd',
    // nc: no timeout unless -w; no FIN at stdin EOF unless -N or -q.
    connectTimeout: Number.POSITIVE_INFINITY,
    noShutdown: true,
    idleTimeoutEndsQuietly: true,
  };
  if (flags.some((flag) => flag.letter === 'h')) return { ...options, command: 'help' };

  let sourcePort: string | undefined;
  let shutdown = false;
  let proxyAddress: string | undefined;
  let proxyType: ProxyType | undefined;
  let quit: number | undefined;
  let ipv4 = false;
  let ipv6 = false;
  const given = new Set<string>();
  for (const { letter, value = '' } of flags) {
    const name = NCAT_NAMES[letter];
    if (name !== undefined) given.add(name);
    switch (letter) {
      case '4':
        ipv4 = true;
        break;
      case '6':
        ipv6 = true;
        break;
      case 'C':
        options.crlf = true;
        break;
      case 'd':
        // stdin is gone from the start: FIN only with -N (nc.openbsd 1.219 sends it at its first
        // wake-up, when something arrives from the network; sockcat at once).
        options.noStdin = true;
        break;
      case 'i':
        options.lineInterval = seconds(value, '-i', 'interval') * 1000;
        break;
      case 'k':
        options.keepOpen = true;
        options.keepOpenSequential = true;
        break;
      case 'l':
        options.listen = true;
        break;
      case 'N':
        shutdown = true;
        break;
      case 'n':
        options.numericOnly = true;
        break;
      case 'p':
        sourcePort = value;
        break;
      case 'q':
        quit = seconds(value, '-q', 'quit time', true);
        break;
      case 'r':
        options.scanRandom = true;
        break;
      case 's': {
        const address = unbracket(value);
        if (ipFamily(address) === 0) {
          throw new ArgumentError(
            `invalid -s source address ${JSON.stringify(value)}: not an IP address`,
          );
        }
        options.sourceAddress = address;
        break;
      }
      case 'T':
        options.socket = { ...options.socket, tos: parseTos(value) };
        break;
      case 'M':
        options.socket = { ...options.socket, ttl: parseTtl(value) };
        break;
      case 'I':
        options.socket = { ...options.socket, receiveBufferSize: parseBufferSize(value, '-I') };
        break;
      case 'O':
        options.socket = { ...options.socket, sendBufferSize: parseBufferSize(value, '-O') };
        break;
      case 't':
        refuseIfNotBuilt('telnet', 't', 'Telnet negotiation');
        options.telnet = true;
        break;
      case 'U':
        refuseIfNotBuilt('unixsock', 'U', 'Unix domain sockets');
        options.unixSocket = true;
        break;
      case 'u':
        refuseIfNotBuilt('udp', 'u', 'UDP');
        options.udp = true;
        break;
      case 'v':
        options.verbosity++;
        break;
      case 'w': {
        const wait = seconds(value, '-w', 'timeout');
        // nc: -w 0 is no timeout at all; otherwise it bounds the connect and idle periods.
        if (wait > 0) {
          options.connectTimeout = wait * 1000;
          options.idleTimeout = wait * 1000;
        }
        break;
      }
      case 'x':
        proxyAddress = value;
        break;
      case 'X': {
        const type = PROXY_PROTOCOLS[value.toLowerCase()];
        if (!type) {
          throw new ArgumentError(
            `invalid -X proxy protocol ${JSON.stringify(value)} (4, 5 or connect)`,
          );
        }
        proxyType = type;
        break;
      }
      case 'z':
        options.zero = true;
        break;
      default:
        throw new ArgumentError(`option -${letter} is not supported: ${UNSUPPORTED[letter]}`);
    }
  }
  options.given = [...given];
  if (ipv4 && ipv6) throw new ArgumentError('-4 and -6 cannot be used together');
  if (ipv4) options.family = 4;
  if (ipv6) options.family = 6;
  // -q with a value of 0 or more implies -N (nc(1)); a negative one waits forever.
  if (quit !== undefined && quit >= 0) {
    options.quitAfterEof = quit * 1000;
    shutdown = true;
  }
  options.noShutdown = !shutdown;

  if (options.listen && options.zero) throw new ArgumentError('cannot use -z and -l');
  if (proxyType !== undefined && proxyAddress === undefined) {
    throw new ArgumentError('-X names the protocol of a proxy: it needs -x');
  }
  if (proxyAddress !== undefined) {
    // nc(1): "A proxy cannot be used with any of the options -lsuU".
    if (options.listen || options.sourceAddress !== undefined) {
      throw new ArgumentError('a proxy (-x) cannot be used with -l or -s');
    }
    const type = proxyType ?? 'socks5';
    options.proxy = [parseProxySpec(proxyAddress, { type })];
    // nc gives SOCKS5 and CONNECT proxies the host name; SOCKS4 needs an address, resolved here.
    options.proxyDns = type === 'socks4' ? 'local' : 'remote';
  }
  if (options.keepOpen && !options.listen) throw new ArgumentError('must use -l with -k');

  if (options.listen) {
    // nc: the timeout does not apply to waiting for a client; it still bounds idle periods.
    if (operands.length > 2) {
      throw new ArgumentError(`too many arguments: ${operands.slice(2).join(' ')}`);
    }
    // nc: the port is an argument, or -p (with -s for the address), never both ways at once.
    if (operands.length > 0 && (sourcePort !== undefined || options.sourceAddress !== undefined)) {
      throw new ArgumentError(
        `with -l, give ${operands.length === 1 ? 'the port' : 'the address and port'} as arguments or with -s/-p, not both`,
      );
    }
    let [host, port] = operands;
    if (port === undefined && host !== undefined) {
      port = host;
      host = undefined;
    }
    const chosen = port ?? sourcePort;
    if (chosen === undefined) throw new ArgumentError('missing port number');
    options.port = parsePort(chosen);
    // nc listens on IPv4 only without a host (-6: IPv6 only); -s names the address as well.
    options.host =
      host !== undefined
        ? unbracket(host)
        : (options.sourceAddress ?? (options.family === 6 ? '::' : '0.0.0.0'));
    return options;
  }

  const [host, ...ports] = operands;
  if (host === undefined) throw new ArgumentError('you must specify a host to connect to');
  if (ports.length === 0) throw new ArgumentError('missing port number');
  options.host = unbracket(host);
  if (sourcePort !== undefined) options.sourcePort = parsePort(sourcePort, 'source port');
  if (options.zero) {
    // Ports and ranges as separate words (`20-30 80`), scanned in the order given.
    options.scanPorts = ports.flatMap((word) => parsePortList(word));
  } else {
    if (ports.length > 1 || /-/.test(ports[0]!)) {
      throw new ArgumentError(
        `several ports (${ports.join(' ')}) are only supported with -z: sockcat connects to one port`,
      );
    }
    options.port = parsePort(ports[0]!);
  }
  return options;
}
