import type { Writable } from 'node:stream';

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
