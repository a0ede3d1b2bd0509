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

import type { Layers } from './layers.js';
import type { Options } from './options.js';

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

/**
 * --no-shutdown holds back the end of file that stdin's end sends. Over datagrams only a DTLS
 * listener of one peer sends one (close_notify, docs/eof.md U3); elsewhere there is none to hold
 * back, and ncat accepts the option there: a warning.
 */
function datagramNoShutdown(l: Layers): Verdict {
  if (!isDatagram(l)) return undefined;
  if (l.security !== 'dtls') return warn('a datagram socket sends no end of file at stdin EOF');
  if (l.role === 'connect') return warn('a DTLS client ends its session at stdin EOF');
  if (l.multiplicity !== 'once') return warn('-u -l -k sends nothing to its sessions at stdin EOF');
  return undefined;
}

/**
 * --no-shutdown with --broker or --chat: stdin's end sends the clients nothing (no FIN), as in
 * ncat 7.93, which accepts the option there and ignores it: a warning.
 */
function brokerNoShutdown(l: Layers): Verdict {
  if (l.multiplicity !== 'broker' && l.multiplicity !== 'chat') return undefined;
  return warn("stdin's end sends the clients no end of file there, as in ncat");
}

/** Options that only a listener has: refused in connect mode, as ncat refuses them. */
function listenOnly(why: string, inConnect: 'refuse' | 'warn' = 'refuse'): Where {
  return (l) => {
    if (l.role === 'connect') return inConnect === 'refuse' ? refuse(why) : warn(why);
    return undefined;
  };
}

const BASE_RULES: Readonly<Record<string, OptionRule>> = {
  ipv4: { layer: 'transport' },
  ipv6: { layer: 'transport' },
  unixsock: { layer: 'transport' },
  vsock: { layer: 'none' },
  crlf: { layer: 'io', where: stdinOption('') },
  'sh-exec': { layer: 'io' },
  exec: { layer: 'io' },
  'lua-exec': { layer: 'io' },
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
  delay: {
    layer: 'io',
    where: (l, options) =>
      stdinOption('')(l, options) ??
      (l.transport === 'unix-dgram'
        ? refuse('pacing is not built for Unix datagram sessions yet (the datagrams went unpaced)')
        : undefined),
  },
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
    where: (l) => {
      if (l.transport === 'seqpacket' && l.role === 'listen') {
        return refuse('a seqpacket listener serves one client (many at once are not built yet)');
      }
      if (l.transport === 'websocket' && l.role === 'connect') {
        return refuse(
          'a WebSocket close ends both directions, so no half-open session is left to send stdin in',
        );
      }
      return undefined;
    },
  },
  nodns: { layer: 'transport' },
  telnet: {
    layer: 'io',
    where: (l) => {
      if (l.io === 'scan') return refuse('-z sends and receives nothing (as ncat)');
      if (isServer(l)) return refuse('a proxy server speaks HTTP or SOCKS, not Telnet (as ncat)');
      if (l.io === 'exec' || l.io === 'js-exec' || l.io === 'lua-exec') {
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
  'no-shutdown': {
    layer: 'io',
    where: (l, options) =>
      stdinOption('')(l, options) ?? brokerNoShutdown(l) ?? datagramNoShutdown(l),
  },
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
  'ssl-min-version': {
    layer: 'security',
    where: (l, options) =>
      tlsWhere(l) ??
      (l.security === 'dtls' && options.tls?.minVersion === 'TLSv1.3'
        ? refuse('no DTLS 1.3 is available: DTLS 1.2 is the highest version (use TLSv1.2)')
        : undefined),
  },
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
      if (isDatagram(l) && l.io !== 'forward') {
        return refuse('the meter is not built for datagram sessions yet');
      }
      if (l.io === 'exec' || l.io === 'js-exec' || l.io === 'lua-exec') {
        return refuse('the meter is not built for command sessions yet');
      }
      return undefined;
    },
  },
  pty: {
    layer: 'io',
    where: (l) => {
      if (l.io !== 'exec') return refuse('it runs the -e or -c command on a terminal');
      return undefined;
    },
  },
  'pty-size': { layer: 'io' },
  'pty-resize': { layer: 'io' },
  raw: {
    layer: 'io',
    where: (l) => {
      if (l.io !== 'stdio') return refuse('it is for a session typed at this terminal');
      if (l.multiplicity !== 'once') return refuse('it is for one session typed at this terminal');
      if (l.transport !== 'tcp' && l.transport !== 'unix') {
        return refuse('a terminal session runs over TCP or a Unix stream socket');
      }
      return undefined;
    },
  },
  dialect: { layer: 'run' },
  completions: { layer: 'run' },
  version: { layer: 'run' },
  websocket: {
    layer: 'transport',
    where: (l) => {
      if (l.role === 'connect') return refuse('connect to a ws:// or wss:// URL instead');
      if (l.io === 'proxy-server') return refuse('a proxy server speaks HTTP or SOCKS over TCP');
      return undefined;
    },
  },
  'ws-path': {
    layer: 'transport',
    where: (l) =>
      l.transport === 'websocket' && l.role === 'listen'
        ? undefined
        : refuse('it is the path a -l --websocket listener accepts (a ws:// URL carries its own)'),
  },
  'ws-text': { layer: 'transport', where: webSocketTuningWhere },
  'ws-lines': { layer: 'transport', where: webSocketTuningWhere },
  'ws-max-message': { layer: 'transport', where: webSocketTuningWhere },
  'ws-ping': { layer: 'transport', where: webSocketTuningWhere },
  forward: {
    layer: 'io',
    where: (l, options) => {
      if (l.role === 'connect') return refuse('it relays the clients of a listener: use -l');
      if (l.io === 'proxy-server') return refuse('a proxy server connects where its clients ask');
      if (l.multiplicity === 'broker' || l.multiplicity === 'chat') {
        return refuse('--broker and --chat relay between clients, --forward to a target');
      }
      if (l.transport === 'seqpacket' || l.transport === 'unix-dgram') {
        return refuse('forwarding is built for TCP, Unix stream, WebSocket and UDP listeners');
      }
      const udpTarget = options.forward?.kind === 'udp';
      if (l.transport === 'udp' && !udpTarget) {
        return refuse('UDP sessions forward to a udp:// target');
      }
      if (l.transport !== 'udp' && udpTarget) {
        return refuse('a udp:// target takes UDP sessions: listen with -u -l');
      }
      return undefined;
    },
  },
  retry: { layer: 'dial', where: retryWhere },
  'retry-forever': { layer: 'dial', where: retryWhere },
  'retry-delay': {
    layer: 'dial',
    where: (l, options) =>
      options.retry === undefined
        ? refuse('it is the wait between --retry attempts; give --retry N or --retry-forever')
        : retryWhere(l),
  },
  'ssl-insecure': {
    layer: 'security',
    where: (l, options) => {
      const wss = l.role === 'connect' && options.websocket?.url?.secure === true;
      const target = options.forward;
      const tlsTarget =
        l.io === 'forward' && target !== undefined && target.kind !== 'udp' && target.tls;
      if (wss || tlsTarget) return undefined;
      return refuse(
        "it turns off the verification that wss:// URLs and tls:// or wss:// --forward targets do; --ssl alone verifies nothing (ncat's default)",
      );
    },
  },
};

/** Options that read standard input or write standard output: --forward relays neither. */
const FORWARD_REFUSES: Readonly<Record<string, string>> = {
  crlf: 'it rewrites standard input, and --forward relays the client to the target untouched',
  delay: 'it paces standard input, which --forward does not read',
  telnet: "the target gets the client's bytes as they are",
  'send-only': 'it is about standard input and output, which --forward does not relay',
  'recv-only': 'it is about standard input and output, which --forward does not relay',
  'no-shutdown': 'end of file passes per direction between client and target',
  'quit-after-eof': 'it is about standard input, which --forward does not read',
  exec: '--forward relays to a target and -e runs a command: one or the other',
  'sh-exec': '--forward relays to a target and -c runs a command: one or the other',
  'js-exec': '--forward relays to a target and --js-exec runs a module: one or the other',
  'lua-exec': '--forward relays to a target and --lua-exec runs a script: one or the other',
};

/** Options a WebSocket end cannot honour. */
const WEBSOCKET_REFUSES: Readonly<Record<string, string>> = {
  unixsock: 'a WebSocket runs over TCP here',
  udp: 'a WebSocket runs over TCP',
  seqpacket: 'a WebSocket runs over TCP',
  zero: '-z probes TCP ports; a WebSocket URL is not a port list',
  'proxy-protocol': 'the header would travel as a WebSocket message, not before the upgrade',
  telnet: 'WebSocket messages carry no Telnet negotiation',
};

/** -w bounds the connection to the --forward target. */
const FORWARD_HONOURS = new Set(['wait']);

function webSocketTuningWhere(l: Layers, options: Options): Verdict {
  if (l.transport === 'websocket') return undefined;
  if (l.io === 'forward' && options.forward?.kind === 'websocket') return undefined;
  return refuse(
    'it applies to WebSocket connections: a ws:// URL, -l --websocket, or a ws:// --forward target',
  );
}

function retryWhere(l: Layers): Verdict {
  if (l.io === 'scan') return refuse('-z probes each port once');
  if (l.role === 'listen' && l.io !== 'forward') {
    return refuse('it retries connecting, and -l connects nowhere (use it with --forward)');
  }
  if (l.role === 'connect' && (l.transport === 'udp' || l.transport === 'unix-dgram')) {
    return refuse('a datagram socket has no connection to retry');
  }
  if (l.io === 'forward' && l.transport === 'udp') {
    // Each UDP session's socket to the target opens without asking the target anything; a
    // refusal (ICMP) ends the session. There is no connect that could fail and be tried again.
    return refuse('a UDP session sends datagrams to its target: there is no connection to retry');
  }
  if (l.transport === 'seqpacket') return refuse('retrying is not built for seqpacket sockets');
  if (l.io === 'proxy-server') return refuse('a proxy server connects where its clients ask');
  return undefined;
}

/**
 * The rules, with the WebSocket transport's and the forward io's refusals in front of each
 * option's own: what those layers cannot honour is refused before the option's usual rule runs.
 */
export const OPTION_RULES: Readonly<Record<string, OptionRule>> = Object.fromEntries(
  Object.entries(BASE_RULES).map(([name, rule]) => {
    const own = rule.where;
    const where: Where = (l, options) => {
      if (l.io === 'forward') {
        const why = FORWARD_REFUSES[name];
        if (why) return refuse(why);
        if (FORWARD_HONOURS.has(name)) return undefined;
      }
      if (l.transport === 'websocket') {
        const why = WEBSOCKET_REFUSES[name];
        if (why) return refuse(why);
        if (name === 'ssl' || name.startsWith('ssl-')) {
          if (
            l.role === 'connect' &&
            options.websocket?.url?.secure === false &&
            name !== 'ssl-insecure'
          ) {
            return refuse('a ws:// URL is plaintext: use wss:// for TLS');
          }
        }
      }
      return own?.(l, options);
    };
    return [name, { ...rule, where }];
  }),
);

/**
 * TLS is honoured by the security layer over every stream transport, in every multiplicity and
 * io (the acceptor wraps whatever io runs), and as DTLS over UDP. Never warned about: a plan that
 * cannot do TLS refuses.
 */
function tlsWhere(l: Layers): Verdict {
  if (l.transport === 'seqpacket') {
    return refuse(
      'TLS over a SOCK_SEQPACKET socket is not built (its messages would be plaintext)',
    );
  }
  if (l.transport === 'unix-dgram') {
    return refuse(
      'DTLS over Unix datagram sockets is not built (its datagrams would be plaintext)',
    );
  }
  if (l.transport === 'udp' && l.io === 'forward') {
    return refuse(
      'a DTLS --forward listener is not built (its datagrams would be relayed as they came, unencrypted)',
    );
  }
  return undefined;
}
