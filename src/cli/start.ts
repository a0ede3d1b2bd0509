// The sockcat command's process side: standard input, signals, exit. Start-up time matters: this
// file imports only Node built-ins and the version; everything else loads after the options ask.
import { closeSync, createReadStream, fstatSync, openSync, writeSync } from 'node:fs';
import module from 'node:module';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { VERSION } from '../version.js';
import { versionText } from './version-text.js';

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

async function runCli(argv: readonly string[], invokedAs: string): Promise<void> {
  let stdin: Readable | undefined;
  const { main } = await import('./run.js');
  const { interruptOn, TERMINATING_SIGNALS } = await import('./interrupt.js');
  const controller = new AbortController();
  // Every signal whose default is to end the process (a closed terminal's SIGHUP, Ctrl-\'s SIGQUIT
  // too) runs the same cleanup as SIGINT: socket files removed, children's process groups ended,
  // -o flushed; then the exit status is 128+N. A second one ends the process at once.
  // Under `node --cpu-prof` / `--prof`, SIGPROF is V8's sampling tick, not a request to stop.
  const profiling = process.execArgv.some((arg) => /^--(cpu-)?prof(?:$|=|-)/.test(arg));
  const signals = profiling
    ? TERMINATING_SIGNALS.filter((name) => name !== 'SIGPROF')
    : TERMINATING_SIGNALS;
  interruptOn(process, signals, controller);
  // Node's own warnings are for developers: on stderr, sockcat writes only its own lines (or NDJSON).
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (/\bsockcat\b/.test(process.env['NODE_DEBUG'] ?? '')) {
      process.stderr.write(`sockcat: node warning: ${warning.name}: ${warning.message}\n`);
    }
  });
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
  const code = await main(
    argv,
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
}

/**
 * A lone --version's or -h's text to fd 1 with write(2), without making process.stdout: that
 * stream (a SyncWriteStream, a net.Socket over a pipe, or a tty.WriteStream) costs more to set
 * up than --version costs in all. A closed reader (EPIPE) ends it quietly with exit 0, as a
 * closed stdout ends a session; what a write leaves (a short write to a pipe, EAGAIN on a
 * non-blocking one) goes through process.stdout, which waits for room.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    written = writeSync(1, bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
  }
  if (written < bytes.length) {
    process.stdout.on('error', () => {});
    process.stdout.write(bytes.subarray(written));
  }
}

/**
 * The whole command, for the process it runs in: `argv` without node and the script, `invokedAs`
 * the name it was run as (`nc` selects the OpenBSD dialect). A lone --version or -h answers
 * before the rest of the CLI loads; otherwise the compile cache is enabled (Node >= 22.1) first.
 */
export async function start(
  argv: readonly string[] = process.argv.slice(2),
  invokedAs: string = basename(process.argv[1] ?? ''),
): Promise<void> {
  const alone = argv.length === 1 && invokedAs !== 'nc' ? argv[0] : undefined;
  if (alone === '--version') {
    writeStdout(versionText());
  } else if (alone === '-h' || alone === '--help') {
    const { helpText, installedDocs } = await import('./help.js');
    writeStdout(helpText(VERSION, installedDocs()));
  } else {
    (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
    await runCli(argv, invokedAs);
  }
}
