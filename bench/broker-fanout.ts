// broker-fanout: `sockcat --broker` next to `ncat --broker`, with N receiving clients and one
// sender. Figures: bytes delivered per second summed over the receivers, and the broker's peak
// RSS (VmHWM from /proc). Not a test.
//
//   node dist/bench/broker-fanout.js [--bytes 64M] [--clients 100] [--seconds 10] [--runs 1]
//                                    [--cases sockcat,ncat]
//
// Shape: the broker listens on 127.0.0.1 on a port from 52600-52799 checked free with `ss`
// (ncat 7.93 cannot report a port 0), with -m above the client count (ncat's default is 100).
// This process opens the N receivers, then the sender, which writes BYTES in 64 KiB writes. The
// clock runs from the sender's first write until every receiver has all BYTES, or until SECONDS
// have passed (then what was delivered so far counts). Receivers that the broker disconnects
// (sockcat's slow-consumer rule) are counted and reported. Every child runs in its own process
// group and is killed at the end of its run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  formatSize,
  freePort,
  isMain,
  median,
  option,
  parseSize,
} from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_BYTES = '64M';
const DEFAULT_CLIENTS = '100';
const DEFAULT_SECONDS = '10';
const DEFAULT_RUNS = '1';
const DEFAULT_CASES = 'sockcat,ncat';
const PORT_FIRST = 52_600;
const PORT_LAST = 52_799;
/** Start-up and connection of every client, before the clock starts. */
const SETUP_TIMEOUT_MS = 20_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'bin.js');

const BROKERS: Record<string, { argv: (port: number, max: number) => string[]; needs?: string }> = {
  sockcat: {
    argv: (port, max) => [
      process.execPath,
      CLI,
      '--broker',
      '-m',
      `${max}`,
      '-l',
      '127.0.0.1',
      `${port}`,
    ],
  },
  ncat: {
    argv: (port, max) => ['ncat', '--broker', '-m', `${max}`, '-l', '127.0.0.1', `${port}`],
    needs: 'ncat',
  },
};

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function waitListening(port: number, child: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
    const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    if (out.trim() !== '') return;
    if (Date.now() > deadline) throw new Error(`broker not listening on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

interface RunResult {
  seconds: number;
  delivered: number;
  dropped: number;
  peakRssKiB: number;
}

async function fanOut(name: string, bytes: number, clients: number, limitMs: number) {
  const broker = BROKERS[name]!;
  const port = freePort(PORT_FIRST, PORT_LAST);
  const [command, ...args] = broker.argv(port, clients + 10);
  const child = spawn(command!, args, { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const sockets: Socket[] = [];
  try {
    await waitListening(port, child, Date.now() + SETUP_TIMEOUT_MS);
    let delivered = 0;
    let complete = 0;
    let dropped = 0;
    let finish: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    for (let i = 0; i < clients; i++) {
      const socket = await open(port);
      sockets.push(socket);
      let got = 0;
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length;
        delivered += chunk.length;
        if (got === bytes && ++complete + dropped === clients) finish();
      });
      socket.on('close', () => {
        if (got < bytes && ++dropped + complete === clients) finish();
      });
    }
    const sender = await open(port);
    sockets.push(sender);
    // Let the broker take in the last connection before the clock starts (ncat reports nothing).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const start = performance.now();
    let stop = false;
    const timer = setTimeout(() => {
      stop = true;
      finish();
    }, limitMs);
    const sending = (async () => {
      for (let sent = 0; sent < bytes && !stop; sent += CHUNK.length) {
        const piece = bytes - sent < CHUNK.length ? CHUNK.subarray(0, bytes - sent) : CHUNK;
        if (!sender.write(piece)) {
          await Promise.race([once(sender, 'drain'), allDone]);
        }
      }
    })();
    await allDone;
    const seconds = (performance.now() - start) / 1000;
    clearTimeout(timer);
    stop = true;
    await sending.catch(() => {});
    const result: RunResult = {
      seconds,
      delivered,
      dropped,
      peakRssKiB: peakRssKiB(child.pid!),
    };
    return result;
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}; broker stderr: ${stderr}`);
  } finally {
    for (const socket of sockets) socket.destroy();
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  }
}

export async function benchBrokerFanout(argv: readonly string[] = []): Promise<BenchRow[]> {
  const bytes = parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_BROKER_BYTES', DEFAULT_BYTES));
  const clients = Number(option(argv, 'clients', 'SOCKCAT_BENCH_BROKER_CLIENTS', DEFAULT_CLIENTS));
  const limitMs =
    1000 * Number(option(argv, 'seconds', 'SOCKCAT_BENCH_BROKER_SECONDS', DEFAULT_SECONDS));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const cases = option(argv, 'cases', 'SOCKCAT_BENCH_BROKER_CASES', DEFAULT_CASES)
    .split(',')
    .filter((name) => {
      const broker = BROKERS[name];
      if (!broker)
        throw new Error(`unknown case ${name}; known: ${Object.keys(BROKERS).join(', ')}`);
      if (broker.needs && !installed(broker.needs)) {
        process.stderr.write(`broker-fanout: ${broker.needs} is not installed; skipped\n`);
        return false;
      }
      return true;
    });
  const results = new Map<string, RunResult[]>(cases.map((name) => [name, []]));
  for (let run = 0; run < runs; run++) {
    for (const name of cases) results.get(name)!.push(await fanOut(name, bytes, clients, limitMs));
  }
  const rate = (name: string) =>
    median(results.get(name)!.map((r) => r.delivered / r.seconds / 1e9));
  const rss = (name: string) => median(results.get(name)!.map((r) => r.peakRssKiB / 1024));
  return cases.map((name) => {
    const all = results.get(name)!;
    const ratios = cases
      .filter((other) => other !== name && name === 'sockcat')
      .map(
        (other) =>
          `vs ${other}: speed ${(rate(name) / rate(other)).toFixed(2)}x, peak RSS ${(rss(name) / rss(other)).toFixed(1)}x`,
      );
    const full = all.every((r) => r.delivered === bytes * clients);
    return {
      bench: 'broker-fanout',
      case: name,
      value: rate(name),
      unit: 'GB/s',
      note: [
        `${clients} receivers x ${formatSize(bytes)} x${all.length}`,
        `peak RSS ${rss(name).toFixed(1)} MiB`,
        `delivered ${full ? 'all' : all.map((r) => `${((100 * r.delivered) / (bytes * clients)).toFixed(0)}%`).join(' ')}`,
        `in ${all.map((r) => r.seconds.toFixed(2)).join(' ')} s`,
        `dropped ${all.map((r) => r.dropped).join(' ')}`,
        ...ratios,
      ].join(', '),
    };
  });
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchBrokerFanout(process.argv.slice(2)));
}
