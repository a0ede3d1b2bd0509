/**
 * The rules table: for every option of the option table, the layer that honours it, and where the
 * plan's layers cannot. Shared by both dialects (the OpenBSD one records the ncat names of the
 * letters whose meaning is the same). Pure data and predicates over the plan's layers.
 *
 * A rule's `where` returns undefined where the option is honoured, `{ refuse }` where sockcat
 * refuses it (ncat refuses it too, or honouring it matters for safety: anything TLS, or a
 * sockcat-only option, where no ncat script can depend on it), and `{ warn }` where ncat accepts
 * the option and ignores it: sockcat runs, with a one-line warning naming it. Refusals that the
 * argv parser already makes (they need the raw values) are listed in `parser` for the docs.
 */
import type { Options } from './args.js';
import type { Layers } from './plan.js';

export type Verdict = { refuse: string } | { warn: string } | undefined;

/** Which layer honours an option; 'run' for the run as a whole (-v, --json, --dialect). */
export type RuleLayer =
  | 'transport'
  | 'security'
  | 'role'
  | 'multiplicity'
  | 'io'
  | 'dial'
  | 'socket'
  | 'run'
  | 'none';

/** Where an option's layer cannot honour it (see OptionRule). */
export type Where = (layers: Layers, options: Options) => Verdict;

export interface OptionRule {
  layer: RuleLayer;
  /** Where the layers cannot honour the option; undefined: honoured wherever the parser lets it. */
  where?: Where;
}

const refuse = (why: string): Verdict => ({ refuse: why });
const warn = (why: string): Verdict => ({ warn: why });

const isServer = (l: Layers) => l.io === 'proxy-server';
const isDatagram = (l: Layers) => l.transport === 'udp' || l.transport === 'unix-dgram';

/** Options about relaying stdin to the connection: a proxy server and -z relay nothing. */
function stdinOption(what: string): Where {
  return (l) => {
    if (l.io === 'scan') return warn(`-z sends nothing${what}`);
    if (isServer(l)) return warn(`a proxy server does not read standard input${what}`);
    return undefined;
  };
}

/** Options that only a listener has: refused in connect mode, as ncat refuses them. */
function listenOnly(why: string, inConnect: 'refuse' | 'warn' = 'refuse'): Where {
  return (l) => {
    if (l.role === 'connect') return inConnect === 'refuse' ? refuse(why) : warn(why);
    return undefined;
  };
}

export const OPTION_RULES: Readonly<Record<string, OptionRule>> = {
  ipv4: { layer: 'transport' },
  ipv6: { layer: 'transport' },
  unixsock: { layer: 'transport' },
  vsock: { layer: 'none' },
  crlf: { layer: 'io', where: stdinOption('') },
  'sh-exec': { layer: 'io' },
  exec: { layer: 'io' },
  'lua-exec': { layer: 'none' },
  'js-exec': { layer: 'io' },
  'source-route': { layer: 'none' },
  'source-route-pointer': { layer: 'none' },
  'max-conns': {
    layer: 'multiplicity',
    where: (l) => {
      if (l.role === 'connect') return refuse('it limits the clients of a listener');
      if (l.multiplicity === 'once' && !isServer(l)) {
        return warn('a listener without -k serves one client');
      }
      return undefined;
    },
  },
  help: { layer: 'run' },
  delay: { layer: 'io', where: stdinOption('') },
  output: {
    layer: 'io',
    where: (l) => (l.io === 'scan' ? warn('-z has no session data to dump') : undefined),
  },
  'hex-dump': {
    layer: 'io',
    where: (l) => (l.io === 'scan' ? warn('-z has no session data to dump') : undefined),
  },
  'idle-timeout': {
    layer: 'io',
    where: (l) => (l.io === 'scan' ? warn('-z closes each connection at once') : undefined),
  },
  'source-port': {
    layer: 'role',
    where: (l, options) =>
      // nc.openbsd's -z probes one port after the other: each can use the source port.
      l.io === 'scan' && options.scanPorts !== undefined && options.dialect === 'ncat'
        ? refuse('a port list is probed many ports at once, and they cannot share one source port')
        : undefined,
  },
  source: {
    layer: 'role',
    where: (l) =>
      l.role === 'listen'
        ? refuse(
            'give the address to listen on as an argument (as ncat: -l and -s are incompatible)',
          )
        : undefined,
  },
  listen: { layer: 'role' },
  'keep-open': {
    layer: 'multiplicity',
    where: (l) =>
      l.transport === 'seqpacket' && l.role === 'listen'
        ? refuse('a seqpacket listener serves one client (many at once are not built yet)')
        : undefined,
  },
  nodns: { layer: 'transport' },
  telnet: {
    layer: 'io',
    where: (l) => {
      if (l.io === 'scan') return refuse('-z sends and receives nothing (as ncat)');
      if (isServer(l)) return refuse('a proxy server speaks HTTP or SOCKS, not Telnet (as ncat)');
      if (l.io === 'exec' || l.io === 'js-exec') {
        return warn('the command gets the connection as it is');
      }
      return undefined;
    },
  },
  udp: { layer: 'transport' },
  sctp: { layer: 'none' },
  verbose: { layer: 'run' },
  wait: {
    layer: 'dial',
    where: (l, options) => {
      // nc.openbsd's -w also bounds idle periods; that meaning comes with the dialect.
      if (options.dialect === 'openbsd') return undefined;
      if (l.role === 'listen' && !isServer(l))
        return warn('-w bounds connecting, and -l connects nowhere');
      return undefined;
    },
  },
  'quit-after-eof': {
    layer: 'io',
    where: (l) => {
      if (l.io === 'scan') return warn('-z does not read standard input');
      if (isServer(l)) return refuse('a proxy server does not read standard input');
      return undefined;
    },
  },
  zero: { layer: 'io' },
  'scan-concurrency': {
    layer: 'io',
    where: (l) =>
      l.io === 'scan' ? undefined : refuse('it is the number of ports -z probes at once'),
  },
  'append-output': {
    layer: 'io',
    where: (l, options) => {
      if (l.io === 'scan') return warn('-z has no session data to dump');
      if (options.output === undefined && options.hexDump === undefined) {
        return warn('it applies to -o and -x files, and neither is given');
      }
      return undefined;
    },
  },
  'send-only': { layer: 'io', where: stdinOption('') },
  'recv-only': { layer: 'io', where: stdinOption('') },
  'no-shutdown': { layer: 'io', where: stdinOption('') },
  allow: { layer: 'role', where: listenOnly('it filters the clients of a listener (as ncat)') },
  allowfile: { layer: 'role', where: listenOnly('it filters the clients of a listener (as ncat)') },
  deny: {
    layer: 'role',
    where: listenOnly('it filters the clients of a listener', 'warn'),
  },
  denyfile: {
    layer: 'role',
    where: listenOnly('it filters the clients of a listener', 'warn'),
  },
  broker: { layer: 'multiplicity' },
  chat: { layer: 'multiplicity' },
  proxy: { layer: 'dial' },
  'proxy-type': { layer: 'dial' },
  'proxy-auth': { layer: 'dial' },
  'proxy-dns': { layer: 'dial' },
  ssl: { layer: 'security', where: tlsWhere },
  'ssl-cert': { layer: 'security', where: tlsWhere },
  'ssl-key': { layer: 'security', where: tlsWhere },
  'ssl-verify': { layer: 'security', where: tlsWhere },
  'ssl-trustfile': { layer: 'security', where: tlsWhere },
  'ssl-ciphers': { layer: 'security', where: tlsWhere },
  'ssl-servername': { layer: 'security', where: tlsWhere },
  'ssl-alpn': { layer: 'security', where: tlsWhere },
  'ssl-pin': { layer: 'security', where: tlsWhere },
  'ssl-min-version': { layer: 'security', where: tlsWhere },
  'proxy-protocol': {
    layer: 'dial',
    where: (l) =>
      l.io === 'scan' ? refuse('-z closes each connection before anything is sent') : undefined,
  },
  tos: { layer: 'socket' },
  ttl: { layer: 'socket' },
  keepalive: { layer: 'socket' },
  rcvbuf: { layer: 'socket' },
  sndbuf: { layer: 'socket' },
  seqpacket: { layer: 'transport' },
  json: { layer: 'run' },
  progress: {
    layer: 'io',
    where: (l) => {
      if (isServer(l)) return refuse('a proxy server relays nothing of its own to meter');
      if (isDatagram(l)) return refuse('the meter is not built for datagram sessions yet');
      if (l.io === 'exec' || l.io === 'js-exec') {
        return refuse('the meter is not built for command sessions yet');
      }
      return undefined;
    },
  },
  dialect: { layer: 'run' },
  version: { layer: 'run' },
};

/**
 * TLS is honoured by the security layer over every stream transport, in every multiplicity and
 * io (the acceptor wraps whatever io runs). Never warned about: a plan that cannot do TLS refuses.
 */
function tlsWhere(l: Layers): Verdict {
  if (l.transport === 'seqpacket') {
    return refuse(
      'TLS over a SOCK_SEQPACKET socket is not built (its messages would be plaintext)',
    );
  }
  return undefined;
}
