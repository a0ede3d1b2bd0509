// Micro benchmark: ReceiveBuffer delimiter search and consume, in memory (no sockets).
//
//   node dist/bench/delimiter-search.js [--bytes 100M] [--runs 3]
//
// Shows that finding lines costs time linear in the bytes, whatever the chunking:
// - lines-streamed: 64 KiB chunks pushed one at a time, every complete line consumed after each
//   push, searches resuming at searchedUpTo() (how a tube reads a socket). SMALL and BYTES sizes;
//   linear means time(BYTES) / time(SMALL) close to BYTES / SMALL.
// - lines-buffered: every chunk pushed first, then every line consumed (a tube whose reader fell
//   behind, up to its high-water mark; here with no limit, to show the cost per buffered chunk).
// - long-line-4B: one line of LONG bytes arriving in 4-byte chunks, searched after each chunk
//   (a waiting recvLine). LONG_SMALL and LONG sizes.
// - long-line-4B-tube: the same fed to a real Tube (over an in-memory stream) with a pending
//   recvLine(), as a peer trickling one long line would.
import { Duplex } from 'node:stream';
import { ReceiveBuffer, Tube } from '../src/index.js';
import {
  type BenchRow,
  formatSize,
  isMain,
  median,
  option,
  parseSize,
  secondsSince,
} from './common.js';
import { lineBlock } from './recv-line.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_BYTES = '100M';
/** The small size of each linearity pair is the big one divided by this. */
const SCALE = 10;
const DEFAULT_LONG = '10M';
const DEFAULT_RUNS = '3';
const CHUNK = 64 * 1024;
const TINY_CHUNK = 4;
/** Chunks pushed into the tube's stream between two turns of the event loop. */
const TUBE_BATCH = 4096;
const NEWLINE = Buffer.from('\n');

/** Stream `bytes` of lines through a ReceiveBuffer, 64 KiB at a time; returns lines found. */
function linesStreamed(block: Buffer, bytes: number): number {
  const buffer = new ReceiveBuffer();
  let lines = 0;
  let from = 0;
  for (let pushed = 0; pushed < bytes; pushed += CHUNK) {
    const offset = pushed % block.length;
    buffer.push(block.subarray(offset, offset + CHUNK));
    for (;;) {
      const at = buffer.indexOf(NEWLINE, from);
      if (at === -1) {
        from = buffer.searchedUpTo(NEWLINE.length);
        break;
      }
      buffer.consume(at + 1);
      from = 0;
      lines++;
    }
  }
  return lines;
}

/** Push all `bytes` first, then consume every line. */
function linesBuffered(block: Buffer, bytes: number): number {
  const buffer = new ReceiveBuffer();
  for (let pushed = 0; pushed < bytes; pushed += CHUNK) {
    const offset = pushed % block.length;
    buffer.push(block.subarray(offset, offset + CHUNK));
  }
  let lines = 0;
  for (;;) {
    const at = buffer.indexOf(NEWLINE, 0);
    if (at === -1) break;
    buffer.consume(at + 1);
    lines++;
  }
  return lines;
}

/** One `bytes`-long line in TINY_CHUNK pieces, searched after every piece. */
function longLine(bytes: number): number {
  const piece = Buffer.alloc(TINY_CHUNK, 0x61);
  const buffer = new ReceiveBuffer();
  let from = 0;
  for (let pushed = 0; pushed < bytes - 1; pushed += TINY_CHUNK) {
    buffer.push(piece.subarray(0, Math.min(TINY_CHUNK, bytes - 1 - pushed)));
    if (buffer.indexOf(NEWLINE, from) !== -1) throw new Error('found a newline too early');
    from = buffer.searchedUpTo(NEWLINE.length);
  }
  buffer.push(NEWLINE);
  return buffer.consume(buffer.indexOf(NEWLINE, from) + 1).length;
}

/** The same through a Tube with recvLine() pending while the pieces arrive. */
async function longLineTube(bytes: number): Promise<number> {
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const tube = new Tube(stream);
  const line = tube.recvLine();
  const piece = Buffer.alloc(TINY_CHUNK, 0x61);
  let pushed = 0;
  while (pushed < bytes - 1) {
    for (let i = 0; i < TUBE_BATCH && pushed < bytes - 1; i++, pushed += TINY_CHUNK) {
      stream.push(piece.subarray(0, Math.min(TINY_CHUNK, bytes - 1 - pushed)));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  stream.push(NEWLINE);
  const length = (await line).length;
  tube.destroy();
  return length;
}

async function timed(run: () => number | Promise<number>): Promise<[number, number]> {
  const start = performance.now();
  const result = await run();
  return [secondsSince(start), result];
}

export async function benchDelimiterSearch(argv: readonly string[] = []): Promise<BenchRow[]> {
  const big = parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_SEARCH_BYTES', DEFAULT_BYTES));
  const long = parseSize(option(argv, 'long', 'SOCKCAT_BENCH_LONG_LINE', DEFAULT_LONG));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const { block, lines: linesPerBlock } = lineBlock();
  // Whole blocks, so that the line count is known.
  const bigBytes = Math.max(SCALE, Math.round(big / block.length)) * block.length;
  const smallBytes = bigBytes / SCALE;
  const longBig = long;
  const longSmall = Math.floor(long / SCALE);

  type Case = {
    name: string;
    small: number;
    big: number;
    run: (bytes: number) => number | Promise<number>;
    expect: (bytes: number) => number;
  };
  const cases: Case[] = [
    {
      name: 'lines-streamed',
      small: smallBytes,
      big: bigBytes,
      run: (bytes) => linesStreamed(block, bytes),
      expect: (bytes) => (bytes / block.length) * linesPerBlock,
    },
    {
      name: 'lines-buffered',
      small: smallBytes,
      big: bigBytes,
      run: (bytes) => linesBuffered(block, bytes),
      expect: (bytes) => (bytes / block.length) * linesPerBlock,
    },
    { name: 'long-line-4B', small: longSmall, big: longBig, run: longLine, expect: (b) => b },
    {
      name: 'long-line-4B-tube',
      small: longSmall,
      big: longBig,
      run: longLineTube,
      expect: (b) => b,
    },
  ];

  const rows: BenchRow[] = [];
  for (const c of cases) {
    // One untimed run first, so that both sizes are timed with optimised code.
    await c.run(c.small);
    const times = { small: [] as number[], big: [] as number[] };
    for (let run = 0; run < runs; run++) {
      for (const size of ['small', 'big'] as const) {
        const [seconds, result] = await timed(() => c.run(c[size]));
        if (result !== c.expect(c[size])) {
          throw new Error(`${c.name} ${c[size]}: got ${result}, expected ${c.expect(c[size])}`);
        }
        times[size].push(seconds);
      }
    }
    const small = median(times.small);
    const bigSeconds = median(times.big);
    rows.push({
      bench: 'delimiter-search',
      case: `${c.name} ${formatSize(c.big)}`,
      value: c.big / 1e6 / bigSeconds,
      unit: 'MB/s',
      note: `time ${formatSize(c.big)} / ${formatSize(c.small)} = ${(bigSeconds / small).toFixed(1)} (linear: ${(c.big / c.small).toFixed(0)}), ${((bigSeconds * 1e9) / c.big).toFixed(1)} ns/byte`,
    });
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchDelimiterSearch(process.argv.slice(2)));
}
