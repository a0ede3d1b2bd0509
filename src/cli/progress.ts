import type { Writable } from 'node:stream';
import { monotonicMs } from './clock.js';

/**
 * --progress: a transfer meter on standard error, redrawn in place. The formatting is pure
 * (formatProgress and friends); createProgressMeter adds the timer and the terminal.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `512 B`, `1.0 KiB`, `12.3 MiB`: binary units, one decimal from KiB up. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  // 1023.96 KiB would round to "1024.0 KiB": show it as "1.0 MiB".
  while (unit < UNITS.length - 1 && value >= (unit === 0 ? 1024 : 1023.95)) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `45.6 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Number.isFinite(bytesPerSecond) ? bytesPerSecond : 0)}/s`;
}

/** `0:05`, `12:34`, `1:02:03`. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${minutes}:${seconds}`;
}

export interface ProgressSnapshot {
  /** Bytes sent to the peer(s) so far. */
  sent: number;
  /** Bytes received so far. */
  received: number;
  /** Both directions together, bytes per second. */
  rate: number;
  elapsedMs: number;
}

/** One meter line: `sent 12.3 MiB  received 45.6 MiB  45.6 MiB/s  0:05`. */
export function formatProgress(snapshot: ProgressSnapshot): string {
  return [
    `sent ${formatBytes(snapshot.sent)}`,
    `received ${formatBytes(snapshot.received)}`,
    formatRate(snapshot.rate),
    formatElapsed(snapshot.elapsedMs),
  ].join('  ');
}

export interface ProgressMeter {
  /** Count bytes that went to the peer. */
  sent(bytes: number): void;
  /** Count bytes that came from the peer. */
  received(bytes: number): void;
  /** Draw the final line (average rate) and end it with a newline. Idempotent. */
  finish(): void;
}

export interface ProgressMeterOptions {
  /** Milliseconds between redraws. Default 250 (four a second). */
  intervalMs?: number;
  /** The clock, in milliseconds (tests pass their own). */
  now?: () => number;
}

/**
 * A meter redrawn in place on `stream` (`\r`) every `intervalMs`, from a timer that does not keep
 * the process alive. The rate shown while running is that of the last interval; the
 * final line shows the average.
 */
export function createProgressMeter(
  stream: Writable,
  options: ProgressMeterOptions = {},
): ProgressMeter {
  const now = options.now ?? (() => monotonicMs());
  const started = now();
  let sent = 0;
  let received = 0;
  let lastTotal = 0;
  let lastTime = started;
  let shownLength = 0;
  let finished = false;

  const draw = (rate: number, end: string) => {
    const line = formatProgress({ sent, received, rate, elapsedMs: now() - started });
    // Spaces cover what a longer previous line left behind.
    stream.write(`\r${line.padEnd(shownLength)}${end}`);
    shownLength = line.length;
  };
  const timer = setInterval(() => {
    const time = now();
    const total = sent + received;
    const rate = time > lastTime ? ((total - lastTotal) * 1000) / (time - lastTime) : 0;
    lastTotal = total;
    lastTime = time;
    draw(rate, '');
  }, options.intervalMs ?? 250);
  timer.unref();

  return {
    sent(bytes) {
      sent += bytes;
    },
    received(bytes) {
      received += bytes;
    },
    finish() {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      const elapsed = now() - started;
      draw(elapsed > 0 ? ((sent + received) * 1000) / elapsed : 0, '\n');
    },
  };
}

/** The meter for --progress, or undefined when not asked for or stderr is not a terminal. */
export function progressMeterFor(
  wanted: boolean,
  stderr: Writable,
  options: ProgressMeterOptions = {},
): ProgressMeter | undefined {
  if (!wanted || (stderr as { isTTY?: boolean }).isTTY !== true) return undefined;
  return createProgressMeter(stderr, options);
}
