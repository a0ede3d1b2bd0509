// The observed option × mode matrix for what needs a terminal or the IP header: --progress (stderr
// a terminal), --raw (stdin a terminal), --ttl (a peer that reads the TTL sockcat's packets
// carry) and --no-shutdown (a peer that tells whether a FIN came before its own close).
//
// --progress runs every existing driver with the CLI's stderr on a pseudo-terminal (through
// matrix-drivers.ts's `spawnWith`), so it needs no driver of its own. The others need peers or
// terminals the shared drivers do not have: their observers run the cell's mode through this
// file's drivers (chosen by the cell's layers with chooseTerm), which follow the Driver contract.
import assert from 'node:assert/strict';
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import { type Driver, type Exchange, spawnWith } from './matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer } from './matrix-observe.js';
import { BIN } from './paths.js';
import { requirePeer } from './peers.js';

// ---------------------------------------------------------------------------------------------
// --progress: stderr on a pseudo-terminal.

/**
 * Runs argv with stderr on a pseudo-terminal (stdin and stdout stay the caller's pipes) and passes
 * what the terminal shows on to its own stderr as it comes, each `\r` followed by a `\n` so that
 * the meter's redraws never share a line with an event (the drivers read events line by line).
 * The terminal writes bytes as given (no `\n` to `\r\n`). Signals are passed on to the CLI, which
 * dies with the wrapper (PR_SET_PDEATHSIG), and the wrapper ends as the CLI did.
 */
const STDERR_ON_TERMINAL = `
import ctypes, os, pty, signal, subprocess, sys, termios
master, slave = pty.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
libc = ctypes.CDLL(None)
child = subprocess.Popen(sys.argv[1:], stderr=slave, preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))
os.close(slave)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, lambda s, f: child.send_signal(s))
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stderr.buffer.write(data.replace(b'\\r', b'\\r\\n'))
    sys.stderr.flush()
code = child.wait()
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
`;

function stderrOnTerminal(python: string) {
  return (argv: readonly string[], options: SpawnOptions): ChildProcess =>
    spawn(python, ['-c', STDERR_ON_TERMINAL, process.execPath, BIN, ...argv], {
      stdio: 'pipe',
      ...options,
    });
}

/** The meter's last line (drawn after a `\r`, ended by `\n`), as [sent, received] text. */
function finalMeter(stderr: string): { sent: string; received: string } | undefined {
  const lines = [
    ...stderr.matchAll(/\r\n(sent (\S+ \S+) {2}received (\S+ \S+) {2}\S+ \S+\/s {2}\d+:\d\d) *\n/g),
  ];
  const last = lines.at(-1);
  return last ? { sent: last[2]!, received: last[3]! } : undefined;
}

/** What the meter would show for `bytes` below 1 KiB (the drivers' exchanges are that small). */
function shown(bytes: number): string {
  return `${bytes} B`;
}

function totals(run: Exchange): { sent: number; received: number } {
  let sent = 0;
  let received = 0;
  for (const closed of eventsNamed(run, 'closed')) {
    sent += Number(closed['sent'] ?? 0);
    received += Number(closed['received'] ?? 0);
  }
  return { sent, received };
}

export const TERM_OBSERVERS: Readonly<Record<string, Observer>> = {
  progress: {
    async observe({ t, run, driver }) {
      const python = requirePeer(t, 'python3');
      if (python === undefined) return;
      const onTerminal = (argv: readonly string[]) =>
        spawnWith.run(stderrOnTerminal(python), () => run(argv));
      const withIt = await onTerminal(['--progress']);
      assertDelivered(withIt, driver, '--progress');
      const meter = finalMeter(withIt.stderr);
      assert.ok(meter, `the meter's last line on the terminal: ${JSON.stringify(withIt.stderr)}`);
      const counted = totals(withIt);
      assert.deepEqual(meter, { sent: shown(counted.sent), received: shown(counted.received) });
      // The same terminal without --progress: no meter.
      const without = await onTerminal([]);
      assertDelivered(without, driver, 'stderr on a terminal without --progress');
      assert.doesNotMatch(without.stderr, /(^|\r)sent \d/m, without.stderr);
    },
  },
};

export function chooseTerm(_layers: Layers, _options: Options): Driver | undefined {
  return undefined;
}
