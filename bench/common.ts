// Shared helpers for the benchmarks: sizes, flags, timing, ports and the result table. Not a test.
import { execFileSync, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** One measured figure, as printed in the table. */
export interface BenchRow {
  bench: string;
  case: string;
  /** The main figure and its unit, e.g. 1.23 'GB/s'. */
  value: number;
  unit: string;
  /** Anything else worth a column: ratios, counts, sizes. */
  note?: string;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "64M", "1G", "100000" -> bytes (binary suffixes, as `head -c` takes them). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text.trim());
  if (!match) throw new Error(`bad size ${JSON.stringify(text)}: use e.g. 100M or 1G`);
  const bytes = Number(match[1]) * UNITS[match[2]!.toUpperCase()]!;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new Error(`bad size ${JSON.stringify(text)}`);
  return Math.floor(bytes);
}

export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= unit && bytes % (unit / 1024) === 0)
      return `${+(bytes / unit).toFixed(2)} ${suffix}`;
  }
  return `${bytes} B`;
}

/** The last `--name value` in argv, else the environment variable, else the default. */
export function option(
  argv: readonly string[],
  name: string,
  env: string,
  fallback: string,
): string {
  const index = argv.lastIndexOf(`--${name}`);
  if (index !== -1 && argv[index + 1] !== undefined) return argv[index + 1]!;
  return process.env[env] ?? fallback;
}

export function flag(argv: readonly string[], name: string): boolean {
  return argv.includes(`--${name}`);
}

/** Seconds since `start` (a performance.now() reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * A port in first..last that no TCP (or UDP) socket uses, according to `ss` (never by connecting
 * to it), starting at a random place so that runs side by side rarely pick the same one.
 */
export function freePort(first: number, last: number, protocol: 'tcp' | 'udp' = 'tcp'): number {
  const span = last - first + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = first + ((start + i) % span);
    const used = execFileSync(
      'ss',
      [protocol === 'tcp' ? '-Htan' : '-Huan', `( sport = :${port} or dport = :${port} )`],
      { encoding: 'utf8' },
    );
    if (used.trim() === '') return port;
  }
  throw new Error(`no free ${protocol} port in ${first}-${last}`);
}

/** Print rows as an aligned table. */
export function printTable(rows: readonly BenchRow[], out: NodeJS.WritableStream = process.stdout) {
  const cells = rows.map((row) => [
    row.bench,
    row.case,
    row.value >= 100 ? row.value.toFixed(0) : row.value.toPrecision(3),
    row.unit,
    row.note ?? '',
  ]);
  const header = ['bench', 'case', 'value', 'unit', 'note'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => cell[column]!.length)),
  );
  const line = (cell: string[]) =>
    cell
      .map((text, column) =>
        column === 2 ? text.padStart(widths[column]!) : text.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  out.write(`${line(header)}\n${line(widths.map((width) => '-'.repeat(width)))}\n`);
  for (const cell of cells) out.write(`${line(cell)}\n`);
}

/** True when the module at `url` is the program being run (not imported by run.ts). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

/** A small deterministic generator (mulberry32), so that every run sees the same data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The program is on PATH. */
export function installed(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}
