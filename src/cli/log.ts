import type { Writable } from 'node:stream';
import type { EventSink } from './events.js';

/** ncat-style diagnostics on stderr: "sockcat: message", shown from a verbosity level up. */
export interface Log {
  readonly verbosity: number;
  /** Always shown. */
  error(message: string): void;
  /** Shown with -v (level 1), -vv (2), ... */
  info(level: number, message: string): void;
  /** A line without the program prefix, from a verbosity level up (nc's "Connection to ..."). */
  bare(level: number, message: string): void;
}

/** `program` prefixes every line: `sockcat`, or `nc` when run under that name. */
export function createLog(stderr: Writable, verbosity: number, program = 'sockcat'): Log {
  const write = (message: string) => {
    stderr.write(`${program}: ${message}\n`);
  };
  return {
    verbosity,
    error: write,
    info(level, message) {
      if (verbosity >= level) write(message);
    },
    bare(level, message) {
      if (verbosity >= level) stderr.write(`${message}\n`);
    },
  };
}

/**
 * The log for `--json` on stderr, which then carries NDJSON only: each message is a `log` event
 * with its verbosity level (0: errors and warnings, shown at every level).
 */
export function createEventLog(events: EventSink, verbosity: number): Log {
  const emit = (level: number, message: string) => {
    if (verbosity >= level) events.emit({ event: 'log', level, message });
  };
  return {
    verbosity,
    error: (message) => emit(0, message),
    info: emit,
    bare: emit,
  };
}
