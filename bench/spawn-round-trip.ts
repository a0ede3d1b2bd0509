// spawn() round trips: send a line to `cat`, read it back, ROUNDS times, against the smallest
// child_process program that does the same (write to stdin, wait for the 'data' that echoes it).
//
//   node dist/bench/spawn-round-trip.js [--rounds 20000] [--runs 3]
//
// The figure is round trips per second; runs of the two cases are interleaved.
import { spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { spawn } from '../src/index.js';
import { type BenchRow, isMain, median, option, secondsSince } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_ROUNDS = '20000';
const DEFAULT_RUNS = '3';
const LINE = Buffer.from('0123456789abcdef0123456789abcdef\n');
const CASES = ['sockcat-spawn', 'child_process'] as const;
type Case = (typeof CASES)[number];

async function tubeRounds(rounds: number): Promise<number> {
  const cat = spawn('cat');
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    await cat.send(LINE);
    const line = await cat.recvLine();
    if (line.length !== LINE.length) throw new Error(`sockcat-spawn: got ${line.length} bytes`);
  }
  const seconds = secondsSince(start);
  await cat.close();
  return seconds;
}

/** The floor: one child, one 'data' listener, one pending resolve per round. */
async function childRounds(rounds: number): Promise<number> {
  const cat = spawnChild('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  let waiting: (() => void) | undefined;
  let have = 0;
  cat.stdout.on('data', (chunk: Buffer) => {
    have += chunk.length;
    if (have >= LINE.length && waiting) {
      have -= LINE.length;
      const resolve = waiting;
      waiting = undefined;
      resolve();
    }
  });
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    const echoed = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    cat.stdin.write(LINE);
    await echoed;
  }
  const seconds = secondsSince(start);
  cat.stdin.end();
  await once(cat, 'close');
  return seconds;
}

export async function benchSpawnRoundTrip(argv: readonly string[] = []): Promise<BenchRow[]> {
  const rounds = Number(option(argv, 'rounds', 'SOCKCAT_BENCH_ROUNDS', DEFAULT_ROUNDS));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const seconds = new Map<Case, number[]>(CASES.map((kind) => [kind, []]));
  for (let run = 0; run < runs; run++) {
    seconds.get('sockcat-spawn')!.push(await tubeRounds(rounds));
    seconds.get('child_process')!.push(await childRounds(rounds));
  }
  const reference = median(seconds.get('child_process')!);
  return CASES.map((kind) => {
    const s = median(seconds.get(kind)!);
    return {
      bench: 'spawn round trip (cat)',
      case: kind,
      value: rounds / s,
      unit: 'round trips/s',
      note: `${rounds} x${runs}, speed vs child_process ${(reference / s).toFixed(2)}x`,
    };
  });
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchSpawnRoundTrip(process.argv.slice(2)));
}
