// net-c2s line reading: Tube.recvLine() and tube.lines() against Node's readline over the same
// bytes.
//
//   node dist/bench/recv-line.js [--bytes 100M] [--runs 3]
//
// A sender child process (this file with --send) connects over loopback TCP and writes BYTES of
// short lines (20-80 bytes, "\n"-terminated, the same pseudo-random lengths every run) in 64 KiB
// writes, then half-closes. This process accepts the connection and counts the lines with each
// reader; the figure is MB/s (and lines/s) from accept to end of file. Runs are interleaved so
// that drift on a shared machine hits every case alike.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, EOFError, listen } from '../src/index.js';
import {
  type BenchRow,
  isMain,
  median,
  option,
  parseSize,
  random,
  secondsSince,
} from './common.js';

// ---- parameters ------------------------------------------------------------------------------
/** Bytes of lines per run (rounded down to whole BLOCKs). */
const DEFAULT_BYTES = '100M';
const DEFAULT_RUNS = '3';
/** Size of each send() by the sender. */
const WRITE_SIZE = 64 * 1024;
/** The line pattern repeats every BLOCK bytes; a BLOCK is a whole number of lines and writes. */
const BLOCK = 1024 * 1024;
const MIN_LINE = 20;
const MAX_LINE = 80;
/** A run that takes longer than this has hung: kill the sender and fail. */
const RUN_TIMEOUT_MS = 120_000;

const CASES = [
  'tube-recvLine',
  'tube-lines-for-await',
  'readline-on-line',
  'readline-for-await',
] as const;
type Case = (typeof CASES)[number];

/** One BLOCK of lines of MIN_LINE..MAX_LINE bytes each (the "\n" included), and their count. */
export function lineBlock(): { block: Buffer; lines: number } {
  const next = random(0x5eed);
  const block = Buffer.alloc(BLOCK);
  let at = 0;
  let lines = 0;
  const put = (length: number) => {
    for (let i = 0; i < length - 1; i++) block[at + i] = 0x61 + ((at + i) % 26);
    block[at + length - 1] = 0x0a;
    at += length;
    lines++;
  };
  // Stop early enough that the rest splits into two legal lines (the rest is then 80..159 bytes).
  while (BLOCK - at >= 2 * MAX_LINE) put(MIN_LINE + Math.floor(next() * (MAX_LINE - MIN_LINE + 1)));
  const rest = BLOCK - at;
  const first = rest >> 1;
  put(first);
  put(rest - first);
  return { block, lines };
}

/** The sender: connect, write `bytes` of lines in WRITE_SIZE pieces, half-close, close. */
async function send(port: number, bytes: number): Promise<void> {
  const { block } = lineBlock();
  const tube = await connect({ host: '127.0.0.1', port });
  for (let sent = 0; sent < bytes; sent += WRITE_SIZE) {
    const offset = sent % BLOCK;
    await tube.send(block.subarray(offset, offset + WRITE_SIZE));
  }
  await tube.shutdown('send');
  await tube.close();
}

async function countLines(kind: Case, bytes: number): Promise<{ seconds: number; lines: number }> {
  const listener = await listen({ host: '127.0.0.1', port: 0 });
  const sender = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--send', String(listener.address().port), String(bytes)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = once(sender, 'exit');
  const killer = setTimeout(() => sender.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    const tube = await listener.accept({ timeout: RUN_TIMEOUT_MS });
    await listener.close();
    const start = performance.now();
    let lines = 0;
    let received = 0;
    if (kind === 'tube-recvLine') {
      for (;;) {
        let line: Buffer;
        try {
          line = await tube.recvLine({ drop: true });
        } catch (error) {
          if (error instanceof EOFError) break;
          throw error;
        }
        lines++;
        received += line.length + 1;
      }
      await tube.close();
    } else if (kind === 'tube-lines-for-await') {
      for await (const line of tube.lines()) {
        lines++;
        received += line.length + 1;
      }
      await tube.close();
    } else {
      const socket = tube.toStream();
      const reader = createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY });
      if (kind === 'readline-on-line') {
        reader.on('line', (line: string) => {
          lines++;
          received += line.length + 1;
        });
        await once(reader, 'close');
      } else {
        for await (const line of reader) {
          lines++;
          received += line.length + 1;
        }
      }
      socket.destroy();
    }
    const seconds = secondsSince(start);
    if (received !== bytes) throw new Error(`${kind}: received ${received} of ${bytes} bytes`);
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`${kind}: the sender exited with ${code}`);
    return { seconds, lines };
  } finally {
    clearTimeout(killer);
    if (sender.exitCode === null) sender.kill('SIGKILL');
  }
}

export async function benchRecvLine(argv: readonly string[] = []): Promise<BenchRow[]> {
  const blocks = Math.max(
    1,
    Math.floor(parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_LINE_BYTES', DEFAULT_BYTES)) / BLOCK),
  );
  const bytes = blocks * BLOCK;
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const expectedLines = lineBlock().lines * blocks;
  const seconds = new Map<Case, number[]>(CASES.map((kind) => [kind, []]));
  for (let run = 0; run < runs; run++) {
    for (const kind of CASES) {
      const result = await countLines(kind, bytes);
      if (result.lines !== expectedLines) {
        throw new Error(`${kind}: ${result.lines} lines, expected ${expectedLines}`);
      }
      seconds.get(kind)!.push(result.seconds);
    }
  }
  const reference = median(seconds.get('readline-on-line')!);
  return CASES.map((kind) => {
    const s = median(seconds.get(kind)!);
    return {
      bench: 'recv-line net-c2s',
      case: kind,
      value: bytes / 1e6 / s,
      unit: 'MB/s',
      note: `${(expectedLines / s / 1e6).toFixed(2)} Mlines/s, ${bytes / BLOCK} MiB x${runs}, speed vs readline-on-line ${(reference / s).toFixed(2)}x`,
    };
  });
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--send') {
    await send(Number(argv[1]), Number(argv[2]));
  } else {
    const { printTable } = await import('./common.js');
    printTable(await benchRecvLine(argv));
  }
}
