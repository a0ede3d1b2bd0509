import { closeSync, openSync, writeSync } from 'node:fs';
import { formatHexDump } from '../relay/hexdump.js';
import { checkWritableFile, openFailure } from './option-file.js';
import type { Options } from './options.js';

/** Taps that record session data in -o (raw) and -x (hex dump) files, as ncat does. */
export interface SessionLog {
  /**
   * Open the files (truncated, or appended with --append-output). Called once the run is past
   * its checks (listening or connected), so that a run that fails first leaves an existing log
   * as it was. Idempotent; record() opens them too if nothing did.
   */
  start(): void;
  /** Record a chunk (either direction; ncat does not mark which). */
  record(chunk: Buffer): void;
  close(): void;
}

/**
 * The -o / -x taps; undefined when neither was given. The files are only checked here (exit 2 if
 * they cannot be written); start() opens them.
 */
export function openSessionLog(options: Options): SessionLog | undefined {
  const files: Array<[string, string]> = [];
  if (options.output !== undefined) files.push([options.output, '-o']);
  if (options.hexDump !== undefined) files.push([options.hexDump, '-x']);
  if (files.length === 0) return undefined;
  for (const [path, flag] of files) checkWritableFile(path, flag);
  const flags = options.appendOutput ? 'a' : 'w';
  let raw: number | undefined;
  let hex: number | undefined;
  let started = false;
  const open = (path: string, flag: string) => {
    try {
      return openSync(path, flags, 0o644);
    } catch (error) {
      throw openFailure(path, flag, error);
    }
  };
  const log: SessionLog = {
    start() {
      if (started) return;
      started = true;
      if (options.output !== undefined) raw = open(options.output, '-o');
      if (options.hexDump !== undefined) hex = open(options.hexDump, '-x');
    },
    record(chunk) {
      log.start();
      if (raw !== undefined) writeSync(raw, chunk);
      if (hex !== undefined) writeSync(hex, formatHexDump(chunk));
    },
    close() {
      if (raw !== undefined) closeSync(raw);
      if (hex !== undefined) closeSync(hex);
      raw = undefined;
      hex = undefined;
    },
  };
  return log;
}
