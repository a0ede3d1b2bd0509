// DTLS next to its references, measured in the same run:
// - dtls-handshake: full DTLS 1.2 handshakes per second (and server CPU per handshake) on
//   `sockcat -u -l -k --ssl` and on `openssl s_server -dtls`, both with the cookie exchange
//   (HelloVerifyRequest) and the same ECDSA P-256 certificate, from the same client: the
//   library's connectUdp(target, { tls }), one handshake at a time (s_server serves DTLS clients
//   one after the other), each closed with close_notify at once. The pair differs only in the
//   server. `openssl s_client -dtls` is not timed: after every session it waits 0.5 s before it
//   exits (strace: 0.50 s between its last receive and exit_group), which would be most of what
//   a per-process figure measured.
// - dtls-echo: bytes per second through `sockcat -u -l --ssl -e /bin/cat` and through
//   `sockcat -u -l -e /bin/cat` (the same echo over plain UDP), from the library's client with at
//   most 32 KiB in flight; the ratio is what DTLS costs.
//
//   node dist/bench/dtls.js [--count 300] [--bytes 16M] [--runs 3]
//
// Every server gets a UDP port from 52300-52399 checked free with `ss`, and is killed by its PID
// when its run ends; every run is bounded by its count (or bytes) and by RUN_TIMEOUT_MS.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectUdp } from '../src/dial/connect-udp.js';
import { createCertificate } from '../src/tls/certificate.js';
import {
  type BenchRow,
  freePort,
  isMain,
  median,
  option,
  parseSize,
  secondsSince,
} from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_COUNT = '300';
const DEFAULT_BYTES = '16M';
const DEFAULT_RUNS = '3';
/** One datagram of the echo bench. */
const DATAGRAM = 1024;
/** Bytes in flight at most in the echo bench. */
const WINDOW = 32 * 1024;
/** Upper bound on one run. */
const RUN_TIMEOUT_MS = 120_000;
/** Upper bound on a server's start-up. */
const START_TIMEOUT_MS = 30_000;
const PORT_FIRST = 52_300;
const PORT_LAST = 52_399;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'bin.js');

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Start a server and wait (bounded) for its ready line on `stream`. stdin stays an open pipe
 * (s_server and sockcat -l would end at its EOF); both outputs are drained for the whole run.
 */
async function start(argv: string[], stream: 'stdout' | 'stderr', ready: RegExp) {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const source = stream === 'stdout' ? child.stdout! : child.stderr!;
  let text = '';
  source.setEncoding('utf8');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${ready} within ${START_TIMEOUT_MS} ms: ${text}`)),
        START_TIMEOUT_MS,
      );
      source.on('data', (chunk: string) => {
        if (text.length < 65_536) text += chunk;
        if (ready.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code}: ${text}`));
      });
    });
  } catch (error) {
    await kill(child);
    throw error;
  }
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

function kill(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  return exited;
}

/** Run `run` against the server, then kill it; the server is killed at the deadline too. */
async function withTimeout<T>(child: ChildProcess, run: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    return await run();
  } finally {
    clearTimeout(timer);
    await kill(child);
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces) start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), 12 and 13 here; in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface HandshakeRun {
  seconds: number;
  /** CPU seconds of the server and of this (client) process over the run. */
  serverCpu: number;
  clientCpu: number;
}

async function handshakes(server: ChildProcess, port: number, count: number) {
  const serverBefore = cpuSeconds(server.pid!);
  const clientBefore = process.cpuUsage();
  const begin = performance.now();
  for (let done = 0; done < count; done++) {
    const connection = await connectUdp(`127.0.0.1:${port}`, {
      tls: { insecure: true, handshakeTimeout: 10_000 },
    });
    await connection.close();
  }
  const seconds = secondsSince(begin);
  const client = process.cpuUsage(clientBefore);
  return {
    seconds,
    serverCpu: cpuSeconds(server.pid!) - serverBefore,
    clientCpu: (client.user + client.system) / 1e6,
  } satisfies HandshakeRun;
}

async function echo(port: number, bytes: number, tls: boolean): Promise<number> {
  const target = `127.0.0.1:${port}`;
  const connection = tls
    ? await connectUdp(target, { tls: { insecure: true } })
    : await connectUdp(target);
  const payload = Buffer.alloc(DATAGRAM, 0x61);
  let sent = 0;
  let received = 0;
  let wake: (() => void) | undefined;
  // A lost datagram would leave the window shut for good: the run then fails at the deadline.
  let expired = false;
  const deadline = setTimeout(() => {
    expired = true;
    wake?.();
    void connection.close();
  }, RUN_TIMEOUT_MS);
  const reader = (async () => {
    for await (const datagram of connection) {
      received += datagram.length;
      wake?.();
      if (received >= bytes) return;
    }
  })();
  const begin = performance.now();
  // The first datagram opens the session (and starts the child); the clock runs from here.
  while (sent < bytes) {
    while (sent - received >= WINDOW && !expired) {
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (expired) break;
    await connection.send(payload);
    sent += payload.length;
  }
  await reader;
  const seconds = secondsSince(begin);
  clearTimeout(deadline);
  await connection.close();
  if (expired) throw new Error(`dtls-echo: ${received} of ${bytes} bytes came back in time`);
  return seconds;
}

/** The handshake servers: name → argv for a port, and where its ready line is. */
function handshakeServers(cert: string, key: string, haveOpenssl: boolean) {
  const servers = new Map<
    string,
    { argv: (port: number) => string[]; stream: 'stdout' | 'stderr'; ready: RegExp }
  >([
    [
      'sockcat',
      {
        argv: (port) => [
          process.execPath,
          CLI,
          '-v',
          '-u',
          '-l',
          '-k',
          '--recv-only',
          '-m',
          '1000',
          '--ssl-cert',
          cert,
          '--ssl-key',
          key,
          '127.0.0.1',
          String(port),
        ],
        stream: 'stderr',
        ready: /Listening on 127\.0\.0\.1:\d+/,
      },
    ],
  ]);
  if (haveOpenssl) {
    // Without -listen: s_server then serves client after client on the one socket (with -listen
    // it connects the socket to the first client, and every later one is refused), still with
    // the cookie exchange. Its stdout is a pipe here, so it is line-buffered with stdbuf, or
    // the ACCEPT line would wait in its buffer; -quiet would drop it.
    servers.set('s_server', {
      argv: (port) => [
        'stdbuf',
        '-oL',
        'openssl',
        's_server',
        '-dtls',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        cert,
        '-key',
        key,
      ],
      stream: 'stdout',
      ready: /^ACCEPT/m,
    });
  }
  return servers;
}

export async function benchDtls(argv: readonly string[] = []): Promise<BenchRow[]> {
  const count = Number(option(argv, 'count', 'SOCKCAT_BENCH_DTLS_COUNT', DEFAULT_COUNT));
  const bytes = parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_DTLS_BYTES', DEFAULT_BYTES));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const haveOpenssl = installed('openssl') && installed('stdbuf');
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-dtls-'));
  try {
    const generated = await createCertificate({ names: ['localhost', '127.0.0.1'] });
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, generated.cert, { mode: 0o600 });
    writeFileSync(key, generated.key, { mode: 0o600 });
    const servers = handshakeServers(cert, key, haveOpenssl);
    const hs = new Map<string, HandshakeRun[]>([...servers.keys()].map((name) => [name, []]));
    const echoes = new Map<string, number[]>([
      ['sockcat-dtls', []],
      ['sockcat-udp', []],
    ]);
    const loadStart = loadavg()[0]!.toFixed(1);
    for (let run = 0; run < runs; run++) {
      // Alternated in each run, so that both servers see the same weather.
      for (const [name, server] of servers) {
        const port = freePort(PORT_FIRST, PORT_LAST, 'udp');
        const child = await start(server.argv(port), server.stream, server.ready);
        hs.get(name)!.push(await withTimeout(child, () => handshakes(child, port, count)));
      }
      for (const [name, tls] of [
        ['sockcat-dtls', true],
        ['sockcat-udp', false],
      ] as const) {
        const port = freePort(PORT_FIRST, PORT_LAST, 'udp');
        const child = await start(
          [process.execPath, CLI, '-v', '-u', '-l', ...(tls ? ['--ssl'] : [])].concat([
            '-e',
            '/bin/cat',
            '127.0.0.1',
            String(port),
          ]),
          'stderr',
          /Listening on 127\.0\.0\.1:\d+/,
        );
        echoes.get(name)!.push(await withTimeout(child, () => echo(port, bytes, tls)));
      }
    }
    const hsRate = (name: string) => count / median(hs.get(name)!.map((r) => r.seconds));
    const serverMs = (name: string) =>
      (median(hs.get(name)!.map((r) => r.serverCpu)) / count) * 1000;
    const clientMs = (name: string) =>
      (median(hs.get(name)!.map((r) => r.clientCpu)) / count) * 1000;
    const echoRate = (name: string) => bytes / median(echoes.get(name)!) / 1e6;
    const rows: BenchRow[] = [...hs.keys()].map((name) => ({
      bench: 'dtls-handshake',
      case: name,
      value: hsRate(name),
      unit: 'hs/s',
      note: [
        `${count} x${runs}, one at a time [${hs
          .get(name)!
          .map((r) => (count / r.seconds).toFixed(0))
          .join(' ')}]`,
        `server CPU ${serverMs(name).toFixed(2)} ms/hs`,
        `client CPU ${clientMs(name).toFixed(2)} ms/hs`,
        ...(name === 'sockcat' && hs.has('s_server')
          ? [
              `vs s_server ${(hsRate('sockcat') / hsRate('s_server')).toFixed(2)}x rate, ${(
                serverMs('sockcat') / serverMs('s_server')
              ).toFixed(2)}x server CPU`,
            ]
          : []),
      ].join(', '),
    }));
    const load = loadavg()[0]!.toFixed(1);
    const fixed = (value: number) => Number(value.toPrecision(4));
    const lines = [
      `RESULT dtls-handshake hs_per_s ${[...hs.keys()].map((name) => `${name}=${fixed(hsRate(name))}`).join(' ')}`,
      `RESULT dtls-handshake server_cpu_ms_per_hs ${[...hs.keys()].map((name) => `${name}=${fixed(serverMs(name))}`).join(' ')}`,
      `RESULT dtls-handshake client_cpu_ms_per_hs ${[...hs.keys()].map((name) => `against-${name}=${fixed(clientMs(name))}`).join(' ')}`,
      `RESULT dtls-echo MB_per_s dtls=${fixed(echoRate('sockcat-dtls'))} udp=${fixed(echoRate('sockcat-udp'))} ratio_vs_udp=${fixed(echoRate('sockcat-dtls') / echoRate('sockcat-udp'))}`,
    ];
    if (hs.has('s_server')) {
      lines[0] += ` ratio_vs_s_server=${fixed(hsRate('sockcat') / hsRate('s_server'))}`;
      lines[1] += ` ratio_vs_s_server=${fixed(serverMs('sockcat') / serverMs('s_server'))}`;
    }
    for (const line of lines) process.stdout.write(`${line} load_1m=${loadStart}->${load}\n`);
    for (const name of echoes.keys()) {
      rows.push({
        bench: 'dtls-echo',
        case: name,
        value: echoRate(name),
        unit: 'MB/s',
        note: [
          `${bytes} bytes in ${DATAGRAM}-byte datagrams x${runs} [${echoes
            .get(name)!
            .map((s) => (bytes / s / 1e6).toFixed(1))
            .join(' ')}]`,
          ...(name === 'sockcat-dtls'
            ? [`vs plain UDP ${(echoRate('sockcat-dtls') / echoRate('sockcat-udp')).toFixed(2)}x`]
            : []),
        ].join(', '),
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchDtls(process.argv.slice(2)));
}
