import type { Readable, Writable } from 'node:stream';

/** What the CLI touches of the outside world; tests pass their own streams. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /**
   * The process's own descriptors behind stdin and stdout (bin.ts: 0 and 1), for the native data
   * path; absent in tests that pass streams.
   */
  fds?: { stdin: number; stdout: number };
  /** Aborted on SIGINT, SIGTERM, SIGHUP, ... by bin.ts (reason: an Interrupt); tests abort it to stop a run. */
  signal?: AbortSignal;
}
