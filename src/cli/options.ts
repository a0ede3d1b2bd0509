/**
 * Options: everything the CLI was asked to do, as plain data, and the defaults of a bare run.
 * Both dialects' parsers (args.ts, dialect-openbsd.ts) produce it; the plan (plan.ts) reads it.
 */
import type { ProxyAuth, ProxyDns, ProxyHop } from '../proxy/proxy-spec.js';
import type { ForwardTarget } from '../relay/forward-target.js';
import type { SocketOptions } from '../transports/socket-options.js';
import type { CompletionShell } from './completions.js';
import type { TlsCliOptions } from './tls-args.js';
import type { RetryCliOptions, WebSocketCliOptions, WebSocketTuning } from './websocket-args.js';

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
  command: 'run' | 'help' | 'version' | 'completions';
  /** --completions: the shell to print a completion script for. */
  completions: CompletionShell | undefined;
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
  /** --pty: the -e/-c command runs on a pseudo-terminal (its controlling terminal). */
  pty: boolean;
  /** --pty-size COLSxROWS. */
  ptySize: { cols: number; rows: number } | undefined;
  /** --raw: the local terminal in raw mode with no echo, and the Enter ~ . escape. */
  raw: boolean;
  /**
   * --pty-resize: the window size travels in-band (relay/pty-resize.ts): --raw sends it at the
   * start and on every resize, --pty applies it to the terminal. Both ends must ask for it.
   */
  ptyResize: boolean;
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
  /**
   * The options given on the command line, by their option-table names (`keep-open`, `ssl`):
   * what the plan checks against its layers (plan.ts). The OpenBSD dialect records the ncat
   * names of its letters that mean the same.
   */
  given: string[];
  /** WebSocket: a ws:// or wss:// URL to connect to, or -l --websocket; undefined: none. */
  websocket: WebSocketCliOptions | undefined;
  /** -l --forward TARGET: relay each client to a new connection to the target. */
  forward: ForwardTarget | undefined;
  /** --retry N / --retry-forever, --retry-delay: reconnect attempts (connect, --forward target). */
  retry: RetryCliOptions | undefined;
  /** --ssl-insecure: do not verify wss:// servers and tls:// / wss:// --forward targets. */
  sslInsecure: boolean;
  /** --ws-text, --ws-lines, --ws-max-message, --ws-ping as given, for a ws:// --forward target. */
  webSocketTuning: WebSocketTuning;
}

/** What -e, -c, --js-exec or --lua-exec asked to run for each connection. */
export interface ExecSpec {
  kind: 'exec' | 'sh' | 'js' | 'lua';
  /** The command line (-e, -c) or the module or script path (--js-exec, --lua-exec), as given. */
  command: string;
}

/** The options of a bare `sockcat` run, before argv says otherwise. */
export function defaultOptions(): Options {
  return {
    command: 'run',
    completions: undefined,
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
    pty: false,
    ptySize: undefined,
    raw: false,
    ptyResize: false,
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
    given: [],
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
  };
}
