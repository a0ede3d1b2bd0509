/**
 * Every command-line option, modelled on ncat's long_options[] table: the flag contract in one
 * place. The parser and the help text are both generated from it.
 *
 * status:
 * - 'ready': implemented.
 * - 'planned': an ncat option sockcat will implement; until then it fails with exit status 2.
 * - 'refused': out of scope for sockcat; fails with exit status 2 and the reason.
 */

export type OptionStatus = 'ready' | 'planned' | 'refused';

export interface OptionSpec {
  /** Key in the parsed values, and the long name unless `noLong`. */
  name: string;
  short?: string;
  /** Takes a value; `metavar` names it in the help. */
  value?: string;
  /** The value is optional and only given as `--name=VALUE` (getopt_long's optional_argument). */
  optionalValue?: boolean;
  /** The value is one of these words (completions offer them). */
  choices?: readonly string[];
  /** The value names a file (completions offer file names). */
  file?: boolean;
  /** The option has only its short form in ncat (`-4`, `-g`); `--name` is not accepted. */
  noLong?: boolean;
  multiple?: boolean;
  help: string;
  status: OptionStatus;
  /** For 'refused' options: why. */
  reason?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'ipv4', short: '4', noLong: true, help: 'Use IPv4 only', status: 'ready' },
  { name: 'ipv6', short: '6', noLong: true, help: 'Use IPv6 only', status: 'ready' },
  { name: 'unixsock', short: 'U', help: 'Use Unix domain sockets only', status: 'ready' },
  {
    name: 'vsock',
    help: 'Use vsock sockets only',
    status: 'refused',
    reason: 'vsock sockets are out of scope: they need a virtual machine host',
  },
  { name: 'crlf', short: 'C', help: 'Use CRLF for EOL sequence', status: 'ready' },
  {
    name: 'sh-exec',
    short: 'c',
    value: 'command',
    help: 'Executes the given command via /bin/sh',
    status: 'ready',
  },
  {
    name: 'exec',
    short: 'e',
    value: 'command',
    help: 'Executes the given command',
    status: 'ready',
  },
  {
    name: 'lua-exec',
    value: 'filename',
    file: true,
    help: 'Executes the given Lua script',
    status: 'ready',
  },
  {
    name: 'js-exec',
    value: 'filename',
    file: true,
    help: 'Runs a JavaScript module per connection',
    status: 'ready',
  },
  {
    name: 'source-route',
    short: 'g',
    value: 'hop1[,hop2,...]',
    noLong: true,
    help: 'Loose source routing hop points',
    status: 'refused',
    reason:
      'IP source routing is out of scope: every modern network stack drops source-routed packets',
  },
  {
    name: 'source-route-pointer',
    short: 'G',
    value: 'n',
    noLong: true,
    help: 'Loose source routing hop pointer',
    status: 'refused',
    reason:
      'IP source routing is out of scope: every modern network stack drops source-routed packets',
  },
  {
    name: 'max-conns',
    short: 'm',
    value: 'n',
    help: 'Maximum <n> simultaneous connections',
    status: 'ready',
  },
  { name: 'help', short: 'h', help: 'Display this help screen', status: 'ready' },
  { name: 'delay', short: 'd', value: 'time', help: 'Wait between read/writes', status: 'ready' },
  {
    name: 'output',
    short: 'o',
    value: 'filename',
    file: true,
    help: 'Dump session data to a file',
    status: 'ready',
  },
  {
    name: 'hex-dump',
    short: 'x',
    value: 'filename',
    file: true,
    help: 'Dump session data as hex to a file',
    status: 'ready',
  },
  {
    name: 'idle-timeout',
    short: 'i',
    value: 'time',
    help: 'Idle read/write timeout',
    status: 'ready',
  },
  {
    name: 'source-port',
    short: 'p',
    value: 'port',
    help: 'Specify source port to use (the port to listen on with -l)',
    status: 'ready',
  },
  {
    name: 'source',
    short: 's',
    value: 'addr',
    help: "Specify source address to use (doesn't affect -l)",
    status: 'ready',
  },
  { name: 'listen', short: 'l', help: 'Bind and listen for incoming connections', status: 'ready' },
  {
    name: 'keep-open',
    short: 'k',
    help: 'Accept multiple connections in listen mode; in connect mode, stay half-open after the peer closes',
    status: 'ready',
  },
  { name: 'nodns', short: 'n', help: 'Do not resolve hostnames via DNS', status: 'ready' },
  { name: 'telnet', short: 't', help: 'Answer Telnet negotiations', status: 'ready' },
  { name: 'udp', short: 'u', help: 'Use UDP instead of default TCP', status: 'ready' },
  {
    name: 'sctp',
    help: 'Use SCTP instead of default TCP',
    status: 'refused',
    reason: 'SCTP is out of scope: the kernels sockcat targets ship without SCTP',
  },
  {
    name: 'verbose',
    short: 'v',
    multiple: true,
    help: 'Set verbosity level (can be used several times)',
    status: 'ready',
  },
  { name: 'wait', short: 'w', value: 'time', help: 'Connect timeout', status: 'ready' },
  {
    name: 'quit-after-eof',
    short: 'q',
    value: 'time',
    help: 'After EOF on stdin, wait <time> then quit',
    status: 'ready',
  },
  {
    name: 'zero',
    short: 'z',
    noLong: true,
    help: 'Zero-I/O mode, report connection status only',
    status: 'ready',
  },
  {
    name: 'scan-concurrency',
    value: 'n',
    help: 'With -z and a port list: probe at most <n> ports at once (default 100)',
    status: 'ready',
  },
  {
    name: 'append-output',
    help: 'Append rather than clobber specified output files',
    status: 'ready',
  },
  {
    name: 'send-only',
    help: 'Only send data, ignoring received; quit on EOF',
    status: 'ready',
  },
  { name: 'recv-only', help: 'Only receive data, never send anything', status: 'ready' },
  {
    name: 'no-shutdown',
    help: 'Continue half-duplex when receiving EOF on stdin',
    status: 'ready',
  },
  {
    name: 'allow',
    value: 'hosts',
    help: 'Allow only given hosts to connect',
    multiple: true,
    status: 'ready',
  },
  {
    name: 'allowfile',
    value: 'file',
    file: true,
    help: 'A file of hosts allowed to connect',
    multiple: true,
    status: 'ready',
  },
  {
    name: 'deny',
    value: 'hosts',
    help: 'Deny given hosts from connecting',
    multiple: true,
    status: 'ready',
  },
  {
    name: 'denyfile',
    value: 'file',
    file: true,
    help: 'A file of hosts denied from connecting',
    multiple: true,
    status: 'ready',
  },
  { name: 'broker', help: 'Enable connection brokering mode', status: 'ready' },
  { name: 'chat', help: 'Start a simple chat server', status: 'ready' },
  {
    name: 'proxy',
    value: 'addr[:port]',
    help: 'Specify address of host to proxy through (repeat or comma-list for a chain)',
    multiple: true,
    status: 'ready',
  },
  {
    name: 'proxy-type',
    value: 'type',
    choices: ['http', 'socks4', 'socks5'],
    help: 'Specify proxy type ("http", "socks4", "socks5")',
    status: 'ready',
  },
  {
    name: 'proxy-auth',
    value: 'auth',
    help: 'Authenticate with HTTP or SOCKS proxy server',
    status: 'ready',
  },
  {
    name: 'proxy-dns',
    value: 'type',
    choices: ['local', 'remote', 'both', 'none'],
    help: 'Specify where to resolve proxy destination',
    status: 'ready',
  },
  { name: 'ssl', help: 'Connect or listen with SSL', status: 'ready' },
  {
    name: 'ssl-cert',
    value: 'file',
    file: true,
    help: 'Specify SSL certificate file (PEM) for listening',
    status: 'ready',
  },
  {
    name: 'ssl-key',
    value: 'file',
    file: true,
    help: 'Specify SSL private key (PEM) for listening',
    status: 'ready',
  },
  {
    name: 'ssl-verify',
    help: 'Verify trust and domain name of certificates',
    status: 'ready',
  },
  {
    name: 'ssl-trustfile',
    value: 'file',
    file: true,
    help: 'PEM file containing trusted SSL certificates',
    status: 'ready',
  },
  {
    name: 'ssl-ciphers',
    value: 'list',
    help: 'Cipherlist containing SSL ciphers to use',
    status: 'ready',
  },
  {
    name: 'ssl-servername',
    value: 'name',
    help: 'Request distinct server name (SNI)',
    status: 'ready',
  },
  { name: 'ssl-alpn', value: 'list', help: 'ALPN protocol list to use', status: 'ready' },
  {
    name: 'ssl-pin',
    value: 'sha256:fp',
    help: 'Accept only the peer certificate with this SHA-256 fingerprint',
    status: 'ready',
  },
  {
    name: 'ssl-min-version',
    value: 'version',
    choices: ['TLSv1.2', 'TLSv1.3'],
    help: 'Lowest TLS version accepted (TLSv1.2 or TLSv1.3)',
    status: 'ready',
  },
  {
    name: 'proxy-protocol',
    value: 'v1|v2',
    choices: ['v1', 'v2'],
    help: 'Send a PROXY protocol header with the connection addresses first',
    status: 'ready',
  },
  {
    name: 'tos',
    short: 'T',
    value: 'keyword|number',
    help: 'IP type of service: lowdelay, throughput, af11-af43, cs0-cs7, ef, or 0-255',
    status: 'ready',
  },
  {
    name: 'ttl',
    value: 'hops',
    help: 'IP time to live (hop limit) of sent packets',
    status: 'ready',
  },
  {
    name: 'keepalive',
    value: 'idle,interval,count',
    optionalValue: true,
    help: 'TCP keepalive (--keepalive, or --keepalive=IDLE[,INTERVAL[,COUNT]])',
    status: 'ready',
  },
  {
    name: 'rcvbuf',
    short: 'I',
    value: 'bytes',
    help: 'Socket receive buffer size',
    status: 'ready',
  },
  {
    name: 'sndbuf',
    short: 'O',
    value: 'bytes',
    help: 'Socket send buffer size',
    status: 'ready',
  },
  {
    name: 'seqpacket',
    help: 'With -U: a Unix SOCK_SEQPACKET socket (messages keep their boundaries)',
    status: 'ready',
  },
  {
    name: 'websocket',
    help: 'With -l: accept WebSocket clients (wss with --ssl); connect with a ws:// or wss:// URL',
    status: 'ready',
  },
  {
    name: 'ws-path',
    value: 'path',
    help: 'With -l --websocket: accept upgrades to this path only (others get HTTP 404)',
    status: 'ready',
  },
  {
    name: 'ws-text',
    help: 'WebSocket: send what is read as text messages (default: binary)',
    status: 'ready',
  },
  {
    name: 'ws-lines',
    help: 'WebSocket: one text message per line sent, one line per message received',
    status: 'ready',
  },
  {
    name: 'ws-max-message',
    value: 'bytes',
    help: 'WebSocket: largest message accepted (default 16m); a bigger one closes with 1009',
    status: 'ready',
  },
  {
    name: 'ws-ping',
    value: 'time',
    help: 'WebSocket: send a ping this often and close (1011) when no pong comes back',
    status: 'ready',
  },
  {
    name: 'forward',
    value: 'target',
    help: 'With -l: relay each client to a new connection to target (host:port, tls://, ws://, wss://, unix:, udp://)',
    status: 'ready',
  },
  {
    name: 'retry',
    value: 'n',
    help: 'Retry connecting n times (connect mode, --forward target)',
    status: 'ready',
  },
  {
    name: 'retry-delay',
    value: 'time',
    help: 'Wait before the first retry, doubling each time up to 30s (default 1s)',
    status: 'ready',
  },
  {
    name: 'retry-forever',
    help: 'Retry connecting until it works (connect mode, --forward target)',
    status: 'ready',
  },
  {
    name: 'ssl-insecure',
    help: 'Do not verify the server of a wss:// URL or a tls:// or wss:// --forward target',
    status: 'ready',
  },
  {
    name: 'json',
    value: 'FILE',
    optionalValue: true,
    file: true,
    help: 'NDJSON events on stderr, or appended to FILE (given with =: --json=ev.json)',
    status: 'ready',
  },
  {
    name: 'pty',
    help: 'Run the -e/-c command on a pseudo-terminal, in its own session (job control, passwords, full-screen programs)',
    status: 'ready',
  },
  {
    name: 'pty-size',
    value: 'COLSxROWS',
    help: "The --pty terminal's size (default 80x24)",
    status: 'ready',
  },
  {
    name: 'pty-resize',
    help: 'Send the --raw window size in-band at start and on resize; apply it to the --pty terminal (both ends need it)',
    status: 'ready',
  },
  {
    name: 'raw',
    help: 'Local terminal in raw mode, no echo, so that Ctrl-C and the arrow keys reach the remote; Enter ~ . ends the session',
    status: 'ready',
  },
  {
    name: 'progress',
    help: 'Show a transfer meter on stderr when it is a terminal',
    status: 'ready',
  },
  {
    name: 'dialect',
    value: 'ncat|openbsd',
    choices: ['ncat', 'openbsd'],
    help: 'Flag meanings: ncat (default) or OpenBSD netcat (also when run as nc)',
    status: 'ready',
  },
  {
    name: 'completions',
    value: 'bash|zsh|fish',
    choices: ['bash', 'zsh', 'fish'],
    help: 'Print a completion script for the shell and exit',
    status: 'ready',
  },
  { name: 'version', help: 'Display version information and exit', status: 'ready' },
];

/** The option's flags as a user would write them: `-p, --source-port`. */
export function flagNames(spec: OptionSpec): string {
  const names: string[] = [];
  if (spec.short) names.push(`-${spec.short}`);
  if (!spec.noLong) names.push(`--${spec.name}`);
  return names.join(', ');
}
