// net-c2s through sockcat's proxy servers: bulk bytes from a client to a sink, directly and
// through `sockcat -l --proxy-type socks5` (and `--proxy-type http`, CONNECT), in MB/s.
//
//   node dist/bench/proxy-throughput.js [--bytes 512M] [--runs 3] [--cases direct,socks5,http,socat]
//
// Three processes, so the proxy has its own event loop: the sink (this file with --sink) listens
// on loopback port 0, reports its port, counts bytes to end of file and prints the count; the
// proxy is the built CLI on port 0 (its port read from `-v`); this process sends BYTES in 64 KiB
// send()s with connect() (through the proxy with the `proxy` option), then half-closes. The clock
// runs from the start of connect() to the sink's count (so the proxy handshake is included).
// Runs are interleaved so that drift on a shared machine hits every case alike. Every run is
// bounded by RUN_TIMEOUT_MS, after which the children are killed. The `socat` case is a reference
// relay written in C (`socat -b 65536 TCP-LISTEN:P,fork TCP:sink`): what any process in the
// middle costs on this machine. socat cannot listen on port 0 and report it, so its port comes
// from 52700-52799, checked free with `ss`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/index.js';
import type { ProxyHop } from '../src/proxy/proxy-spec.js';
import {
  type BenchRow,
  formatSize,
  freePort,
  isMain,
  median,
  option,
  parseSize,
  secondsSince,
} from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_BYTES = '512M';
const DEFAULT_RUNS = '3';
const ALL_CASES = ['direct', 'socks5', 'http', 'socat'] as const;
type Case = (typeof ALL_CASES)[number];
const CASE_NAMES: Record<Case, string> = {
  direct: 'direct',
  socks5: 'via sockcat socks5',
  http: 'via sockcat http CONNECT',
  socat: 'via socat (C relay)',
};
/** Size of each send(). */
const WRITE_SIZE = 64 * 1024;
/** A run (transfer and the sink's report) that takes longer than this has hung. */
const RUN_TIMEOUT_MS = 120_000;
/** Ports for socat, which cannot listen on port 0 and report it. */
const PORT_FIRST = 52_700;
const PORT_LAST = 52_799;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'bin.js');

/** The sink: listen on port 0, print the port, then for each connection print its byte count. */
async function sink(): Promise<void> {
  const server = createServer((socket) => {
    let count = 0;
    socket.on('data', (chunk: Buffer) => {
      count += chunk.length;
    });
    socket.on('end', () => {
      process.stdout.write(`${count}\n`);
      socket.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`port ${(server.address() as { port: number }).port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/** Lines a child prints on stdout (or stderr), one at a time. */
function lines(child: ChildProcess, stream: 'stdout' | 'stderr'): AsyncIterator<string> {
  return createInterface({ input: child[stream]! })[Symbol.asyncIterator]();
}

async function firstMatch(
  iterator: AsyncIterator<string>,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`ended before ${pattern}`);
    const match = pattern.exec(value);
    if (match) return match;
  }
}

async function startProxy(type: 'socks5' | 'http'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, '-lv', '--proxy-type', type, '127.0.0.1', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const match = await firstMatch(lines(child, 'stderr'), /Listening on 127\.0\.0\.1:(\d+)/);
  child.stderr!.resume();
  return { child, port: Number(match[1]) };
}

/** socat relaying PORT to the sink; resolves once `ss` shows it listening (bounded). */
async function startSocat(sinkPort: number): Promise<{ child: ChildProcess; port: number }> {
  const port = freePort(PORT_FIRST, PORT_LAST);
  const child = spawn(
    'socat',
    [
      '-b',
      '65536',
      `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
      `TCP:127.0.0.1:${sinkPort}`,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}`);
    if (execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim() !== '') {
      return { child, port };
    }
    if (Date.now() > deadline) throw new Error(`socat not listening on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The relay's pid: the proxy itself, or socat's child forked for this connection. */
function relayPid(relay: ChildProcess | undefined): number | undefined {
  if (relay?.pid === undefined) return undefined;
  if (relay.spawnfile !== 'socat') return relay.pid;
  const children = readFileSync(`/proc/${relay.pid}/task/${relay.pid}/children`, 'utf8').trim();
  return children === '' ? undefined : Number(children.split(' ')[0]);
}

/** One transfer: wall seconds, and CPU seconds of the relay in the middle (0 for direct). */
async function sendOnce(
  sinkPort: number,
  counts: AsyncIterator<string>,
  bytes: number,
  proxy: ProxyHop | number | undefined,
  relay: ChildProcess | undefined,
): Promise<{ seconds: number; relayCpu: number }> {
  const block = Buffer.alloc(WRITE_SIZE, 0x61);
  const start = performance.now();
  const port = typeof proxy === 'number' ? proxy : sinkPort;
  const tube = await connect(
    { host: '127.0.0.1', port },
    { timeout: RUN_TIMEOUT_MS, ...(typeof proxy === 'object' ? { proxy } : {}) },
  );
  const forks = relay?.spawnfile === 'socat';
  const proxyPid = forks ? undefined : relay?.pid;
  const cpuBefore = proxyPid === undefined ? 0 : cpuSeconds(proxyPid);
  for (let sent = 0; sent < bytes; sent += WRITE_SIZE) await tube.send(block);
  // Read before the end: socat's child (forked for this connection, CPU from zero) exits with
  // the connection. What is left to relay then is at most the queued bytes.
  const pid = forks ? relayPid(relay) : proxyPid;
  const cpuAfter = pid === undefined ? 0 : cpuSeconds(pid);
  await tube.shutdown('send');
  const { value } = await counts.next();
  const seconds = secondsSince(start);
  tube.destroy();
  if (Number(value) !== bytes) throw new Error(`sink counted ${value} of ${bytes} bytes`);
  return { seconds, relayCpu: cpuAfter - cpuBefore };
}

export async function benchProxyThroughput(argv: readonly string[] = []): Promise<BenchRow[]> {
  const bytes =
    Math.ceil(
      parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_PROXY_BYTES', DEFAULT_BYTES)) / WRITE_SIZE,
    ) * WRITE_SIZE;
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const cases = option(argv, 'cases', 'SOCKCAT_BENCH_PROXY_CASES', ALL_CASES.join(','))
    .split(',')
    .filter((name): name is Case => (ALL_CASES as readonly string[]).includes(name));
  const children: ChildProcess[] = [];
  const killer = setTimeout(
    () => {
      for (const child of children) child.kill('SIGKILL');
    },
    RUN_TIMEOUT_MS * runs * cases.length,
  );
  killer.unref();
  try {
    const sinkChild = spawn(process.execPath, [fileURLToPath(import.meta.url), '--sink'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(sinkChild);
    const counts = lines(sinkChild, 'stdout');
    const sinkPort = Number((await firstMatch(counts, /^port (\d+)$/))[1]);
    const proxies = new Map<Case, ProxyHop | number | undefined>([['direct', undefined]]);
    const relays = new Map<Case, ChildProcess>();
    if (cases.includes('socat')) {
      const socat = await startSocat(sinkPort);
      children.push(socat.child);
      relays.set('socat', socat.child);
      proxies.set('socat', socat.port);
    }
    for (const type of ['socks5', 'http'] as const) {
      if (!cases.includes(type)) continue;
      const proxy = await startProxy(type);
      children.push(proxy.child);
      relays.set(type, proxy.child);
      proxies.set(type, { type, host: '127.0.0.1', port: proxy.port });
    }
    const seconds = new Map<Case, number[]>(cases.map((name) => [name, []]));
    const relayCpu = new Map<Case, number[]>(cases.map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const name of cases) {
        const result = await sendOnce(sinkPort, counts, bytes, proxies.get(name), relays.get(name));
        seconds.get(name)!.push(result.seconds);
        relayCpu.get(name)!.push(result.relayCpu);
      }
    }
    sinkChild.stdin!.end();
    const direct = seconds.has('direct') ? median(seconds.get('direct')!) : undefined;
    return cases.map((name) => {
      const s = median(seconds.get(name)!);
      return {
        bench: 'proxy net-c2s',
        case: CASE_NAMES[name],
        value: bytes / 1e6 / s,
        unit: 'MB/s',
        note: `${formatSize(bytes)} x${runs}${direct ? `, vs direct ${(direct / s).toFixed(2)}x` : ''}${
          relays.has(name)
            ? `, relay CPU s/GB ${(median(relayCpu.get(name)!) / (bytes / 1e9)).toFixed(2)}`
            : ''
        }`,
      };
    });
  } finally {
    clearTimeout(killer);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--sink') {
    await sink();
  } else {
    const { printTable } = await import('./common.js');
    printTable(await benchProxyThroughput(argv));
  }
}
