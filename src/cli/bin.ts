#!/usr/bin/env node
// The sockcat command: parse, run, exit. Start-up time matters, so the compile cache is enabled
// where Node has it (>= 22.1) before anything else is loaded.
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import module from 'node:module';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** Read size for a regular file on stdin; process.stdin reads 64 KiB, which costs twice the CPU. */
const FILE_READ_SIZE = 1024 * 1024;

/**
 * Standard input: `sockcat host port < file` reads the file 1 MiB at a time (the same stream
 * process.stdin would be, fs.ReadStream over fd 0, with a larger read size); a pipe, terminal or
 * socket is process.stdin itself. Opened on first use, as process.stdin is.
 */
function openStdin(): Readable {
  try {
    if (fstatSync(0).isFile()) {
      return createReadStream('', { fd: 0, autoClose: false, highWaterMark: FILE_READ_SIZE });
    }
  } catch {
    // fstat failed: process.stdin reports whatever is wrong with fd 0 when it is read.
  }
  return process.stdin;
}
let stdin: Readable | undefined;

const { main } = await import('./run.js');
const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// A closed stdout (`sockcat ... | head -c1`) ends the relay quietly; never crash on it.
process.stdout.on('error', () => {});
// Ending stdout (the peer's EOF while stdin goes on, docs/eof.md) must close fd 1 itself so that
// its reader sees EOF: Node never closes it. /dev/null takes the number, so that nothing opened
// later becomes fd 1.
process.stdout.once('finish', () => {
  closeSync(1);
  const fd = openSync('/dev/null', 'w');
  if (fd !== 1) closeSync(fd);
});
// Run as `nc` (a symlink of that name), sockcat takes OpenBSD netcat's flags (--dialect openbsd).
const invokedAs = basename(process.argv[1] ?? '');
const code = await main(
  process.argv.slice(2),
  {
    get stdin() {
      stdin ??= openStdin();
      return stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    fds: { stdin: 0, stdout: 1 },
    env: process.env,
    signal: controller.signal,
  },
  { invokedAs },
);
// stdin may still be open (the peer closed first): leave without waiting for it.
process.exitCode = code;
if (process.stdout.writableLength > 0) process.stdout.once('drain', () => process.exit());
else process.exit();
