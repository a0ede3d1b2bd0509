/**
 * The option × mode matrix: every option of the option table tried in every mode, through the
 * real parser and the real plan. docs/cli.md's "Which option works in which mode" table is
 * rendered from it (scripts/option-matrix.mjs), and a test checks that the two agree and that
 * every cell is honoured, refused by name, or warned about by name.
 */
import { ArgumentError } from '../errors.js';
import { parseArgs } from './args.js';
import { flagNames, OPTIONS, type OptionSpec } from './option-table.js';
import { buildPlan } from './plan.js';

/** A column: a mode as argv (the option under test goes in front). */
export interface MatrixMode {
  name: string;
  argv: readonly string[];
}

const HOST = '127.0.0.1';
const PORT = '9';
const PATH = '/run/sockcat-matrix.sock';

export const MATRIX_MODES: readonly MatrixMode[] = [
  { name: 'connect', argv: [HOST, PORT] },
  { name: '-l', argv: ['-l', PORT] },
  { name: '-l -k', argv: ['-l', '-k', PORT] },
  { name: '--broker', argv: ['--broker', PORT] },
  { name: '--chat', argv: ['--chat', PORT] },
  { name: '-e', argv: ['-e', 'cat', HOST, PORT] },
  { name: '-l -e', argv: ['-l', '-e', 'cat', PORT] },
  { name: '--js-exec', argv: ['-l', '--js-exec', 'handler.mjs', PORT] },
  { name: '--lua-exec', argv: ['-l', '--lua-exec', 'script.lua', PORT] },
  { name: 'proxy server', argv: ['-l', '--proxy-type', 'http', PORT] },
  { name: '-z', argv: ['-z', HOST, PORT] },
  { name: '-u', argv: ['-u', HOST, PORT] },
  { name: '-u -l', argv: ['-u', '-l', PORT] },
  { name: '-u --ssl', argv: ['-u', '--ssl', HOST, PORT] },
  { name: '-u -l -k -e', argv: ['-u', '-l', '-k', '-e', 'cat', PORT] },
  { name: '-u -l --ssl', argv: ['-u', '-l', '--ssl', PORT] },
  { name: '-u -l -k --ssl', argv: ['-u', '-l', '-k', '--ssl', PORT] },
  { name: '-U', argv: ['-U', PATH] },
  { name: '-U -l', argv: ['-U', '-l', PATH] },
  { name: '-U -u', argv: ['-U', '-u', PATH] },
  { name: '-U -u -l -k -e', argv: ['-U', '-u', '-l', '-k', '-e', 'cat', PATH] },
  { name: '--seqpacket', argv: ['-U', '--seqpacket', '-l', PATH] },
  { name: 'ws://', argv: [`ws://${HOST}:${PORT}/`] },
  { name: 'wss://', argv: [`wss://${HOST}:${PORT}/`] },
  { name: '-l --websocket', argv: ['-l', '--websocket', PORT] },
  { name: '-l -k --websocket', argv: ['-l', '-k', '--websocket', PORT] },
  { name: '-l --forward', argv: ['-l', '-k', '--forward', `${HOST}:${PORT}`, PORT] },
  { name: '-u -l --forward', argv: ['-u', '-l', '-k', '--forward', `udp://${HOST}:${PORT}`, PORT] },
];

/** The option as argv, with a value that parses where it takes one. */
export const SAMPLE_ARGV: Readonly<Record<string, readonly string[]>> = {
  'sh-exec': ['-c', 'cat'],
  exec: ['-e', 'cat'],
  'lua-exec': ['--lua-exec', 'script.lua'],
  'js-exec': ['--js-exec', 'handler.mjs'],
  'source-route': ['-g', '10.0.0.1'],
  'source-route-pointer': ['-G', '4'],
  'max-conns': ['-m', '3'],
  delay: ['-d', '1ms'],
  output: ['-o', 'session.log'],
  'hex-dump': ['-x', 'session.hex'],
  'idle-timeout': ['-i', '5s'],
  'source-port': ['-p', '4000'],
  source: ['-s', '127.0.0.1'],
  wait: ['-w', '5s'],
  'quit-after-eof': ['-q', '1'],
  'scan-concurrency': ['--scan-concurrency', '4'],
  'append-output': ['--append-output'],
  allow: ['--allow', '127.0.0.1'],
  allowfile: ['--allowfile', 'allow.txt'],
  deny: ['--deny', '10.0.0.1'],
  denyfile: ['--denyfile', 'deny.txt'],
  proxy: ['--proxy', '127.0.0.1:3128'],
  'proxy-type': ['--proxy-type', 'socks5'],
  'proxy-auth': ['--proxy-auth', 'user:pass'],
  'proxy-dns': ['--proxy-dns', 'local'],
  'ssl-cert': ['--ssl-cert', 'cert.pem', '--ssl-key', 'key.pem'],
  'ssl-key': ['--ssl-key', 'key.pem', '--ssl-cert', 'cert.pem'],
  'ssl-trustfile': ['--ssl-trustfile', 'ca.pem'],
  'ssl-ciphers': ['--ssl-ciphers', 'HIGH'],
  'ssl-servername': ['--ssl-servername', 'example.com'],
  'ssl-alpn': ['--ssl-alpn', 'h2'],
  'ssl-pin': ['--ssl-pin', `sha256:${'ab'.repeat(32)}`],
  'ssl-min-version': ['--ssl-min-version', 'TLSv1.3'],
  'proxy-protocol': ['--proxy-protocol', 'v1'],
  tos: ['-T', 'lowdelay'],
  ttl: ['--ttl', '200'],
  keepalive: ['--keepalive'],
  rcvbuf: ['-I', '65536'],
  sndbuf: ['-O', '65536'],
  json: ['--json'],
  dialect: ['--dialect', 'ncat'],
  'ws-path': ['--ws-path', '/tunnel'],
  'ws-max-message': ['--ws-max-message', '1m'],
  'ws-ping': ['--ws-ping', '30s'],
  forward: ['--forward', `${HOST}:${PORT}`],
  retry: ['--retry', '3'],
  'retry-delay': ['--retry-delay', '2s', '--retry', '3'],
};

/** The argv that gives an option (its short form when it has one). */
export function optionArgv(spec: OptionSpec): readonly string[] {
  const sample = SAMPLE_ARGV[spec.name];
  if (sample) return sample;
  return [spec.short ? `-${spec.short}` : `--${spec.name}`];
}

export type CellOutcome = 'honoured' | 'refused' | 'warned';

export interface Cell {
  outcome: CellOutcome;
  /** The refusal or the warning, as the user sees it. */
  message?: string;
}

/** One cell: the option given in the mode, through parseArgs and buildPlan. */
export function matrixCell(spec: OptionSpec, mode: MatrixMode): Cell {
  const argv = [...optionArgv(spec), ...mode.argv];
  try {
    const options = parseArgs(argv, { env: {} });
    if (options.command !== 'run') return { outcome: 'honoured' };
    const plan = buildPlan(options);
    const flags = flagNames(spec).split(', ');
    const warning = plan.warnings.find((line) => flags.some((flag) => line.includes(flag)));
    return warning ? { outcome: 'warned', message: warning } : { outcome: 'honoured' };
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    return { outcome: 'refused', message: error.message };
  }
}

const MARK: Record<CellOutcome, string> = { honoured: 'yes', refused: '**no**', warned: 'ignored' };

/** docs/cli.md's table: one row per option, one column per mode. */
export function renderMatrixTable(): string {
  const header = `| option | ${MATRIX_MODES.map((mode) => `\`${mode.name}\``).join(' | ')} |`;
  const rule = `|---|${MATRIX_MODES.map(() => '---').join('|')}|`;
  const rows = OPTIONS.map((spec) => {
    const cells = MATRIX_MODES.map((mode) => MARK[matrixCell(spec, mode).outcome]);
    return `| \`${flagNames(spec)}\` | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
