// Start-up of a connect: `sockcat 127.0.0.1 P < one-byte-file` (connect, send the byte, half-close,
// print the echo, exit at the server's close), next to the same shape with ncat and nc.openbsd,
// `node -e 0` and the smallest Node program that does it (the floor for any Node CLI), in
// alternated runs against one echo server. compare startup measures sockcat and the C tools this
// way; this bench adds the Node floor to the same run.
//
//   node dist/bench/connect-startup.js [--pairs 20] [--cli PATH/sockcat.js] [--alt PATH/sockcat.js]
//
// --alt adds `sockcat-alt`, another build of the CLI, to the same alternated runs (an A/B).
// The echo server is a Node child process (its own process group, killed after the run) on a
// port from 52500-52599 checked free with `ss`; each run is bounded by a 10 s timeout.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchRow, freePort, installed, isMain, median, option } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_PAIRS = '20';
const WARMUP = 3;
const RUN_TIMEOUT_MS = 10_000;
const PORT_FIRST = 52_500;
const PORT_LAST = 52_599;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'sockcat.js');
const NODE = process.execPath;

const ECHO_SERVER = `const net = require('node:net');
net.createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(+process.argv.at(-1), '127.0.0.1', () => console.log('ready'));`;
// The Node floor: connect, stdin to the socket (FIN at its end), the socket to stdout, exit.
const NODE_CONNECT = `const s = require('node:net').connect(+process.argv.at(-1), '127.0.0.1');
s.on('connect', () => process.stdin.pipe(s)); s.pipe(process.stdout);`;

/** Milliseconds from spawn to exit of `argv` with stdin from `input`; throws on a failure. */
function timed(argv: string[], input: string): number {
  const fd = openSync(input, 'r');
  try {
    const start = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), {
      stdio: [fd, 'ignore', 'ignore'],
      timeout: RUN_TIMEOUT_MS,
    });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status}`);
    return ms;
  } finally {
    closeSync(fd);
  }
}

export async function benchConnectStartup(argv: readonly string[] = []): Promise<BenchRow[]> {
  const pairs = Number(option(argv, 'pairs', 'SOCKCAT_BENCH_PAIRS', DEFAULT_PAIRS));
  const cli = option(argv, 'cli', 'SOCKCAT_BENCH_CLI', CLI);
  const alt = option(argv, 'alt', 'SOCKCAT_BENCH_ALT_CLI', '');
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-startup-'));
  const input = join(dir, 'one-byte');
  writeFileSync(input, 'x');
  const port = freePort(PORT_FIRST, PORT_LAST);
  let server: ChildProcess | undefined;
  try {
    server = spawn(NODE, ['-e', ECHO_SERVER, String(port)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    await once(server.stdout!, 'data');
    const p = String(port);
    const cases: Record<string, string[]> = {
      sockcat: [NODE, cli, '127.0.0.1', p],
      ...(alt === '' ? {} : { 'sockcat-alt': [NODE, alt, '127.0.0.1', p] }),
      'node-connect': [NODE, '-e', NODE_CONNECT, p],
      'node-e-0': [NODE, '-e', '0'],
    };
    if (installed('ncat')) cases['ncat'] = ['ncat', '127.0.0.1', p];
    if (installed('nc.openbsd')) cases['nc.openbsd'] = ['nc.openbsd', '-N', '127.0.0.1', p];
    const times = new Map(Object.keys(cases).map((name) => [name, [] as number[]]));
    for (let round = 0; round < WARMUP + pairs; round++) {
      for (const [name, command] of Object.entries(cases)) {
        const ms = timed(command, input);
        if (round >= WARMUP) times.get(name)!.push(ms);
      }
    }
    const ms = (name: string) => median(times.get(name)!);
    const ratios = (name: string) =>
      name.startsWith('sockcat') || name === 'node-connect'
        ? Object.keys(cases)
            .filter((other) => other !== name && other !== 'node-e-0')
            .map((other) => `vs ${other} ${(ms(name) / ms(other)).toFixed(3)}x`)
        : [];
    return Object.keys(cases).map((name) => ({
      bench: 'connect-startup',
      case: name,
      value: ms(name),
      unit: 'ms',
      note: [`median of ${pairs}`, ...ratios(name)].join(', '),
    }));
  } finally {
    if (server?.pid !== undefined) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchConnectStartup(process.argv.slice(2)));
}
