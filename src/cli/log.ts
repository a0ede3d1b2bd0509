import type { Writable } from 'node:stream';

/** ncat-style diagnostics on stderr: "sockcat: message", shown from a verbosity level up. */
export interface Log {
  readonly verbosity: number;
  /** Always shown. */
  error(message: string): void;
  /** Shown with -v (level 1), -vv (2), ... */
  info(level: number, message: string): void;
}

export function createLog(stderr: Writable, verbosity: number): Log {
  const write = (message: string) => {
    stderr.write(`sockcat: ${message}\n`);
  };
  return {
    verbosity,
    error: write,
    info(level, message) {
      if (verbosity >= level) write(message);
    },
  };
}
