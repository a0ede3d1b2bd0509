import { closeSync, openSync, writeSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import { formatHexDump } from '../relay/hexdump.js';
import type { Options } from './options.js';

/** Taps that record session data in -o (raw) and -x (hex dump) files, as ncat does. */
export interface SessionLog {
  /** Record a chunk (either direction; ncat does not mark which). */
  record(chunk: Buffer): void;
  close(): void;
}

/** Open the -o / -x files (truncated, or appended with --append-output); undefined when none. */
export function openSessionLog(options: Options): SessionLog | undefined {
  const flags = options.appendOutput ? 'a' : 'w';
  const open = (path: string, flag: string) => {
    try {
      return openSync(path, flags, 0o644);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ArgumentError(`cannot open ${flag} file ${JSON.stringify(path)}: ${reason}`);
    }
  };
  const raw = options.output === undefined ? undefined : open(options.output, '-o');
  const hex = options.hexDump === undefined ? undefined : open(options.hexDump, '-x');
  if (raw === undefined && hex === undefined) return undefined;
  return {
    record(chunk) {
      if (raw !== undefined) writeSync(raw, chunk);
      if (hex !== undefined) writeSync(hex, formatHexDump(chunk));
    },
    close() {
      if (raw !== undefined) closeSync(raw);
      if (hex !== undefined) closeSync(hex);
    },
  };
}
