// A pty reverse shell in a real terminal (tmux): the operator's side is `sockcat -l --raw` in a
// tmux pane, the target runs `sockcat HOST PORT -e /bin/sh --pty`. The same checks run against
// the socat recipe people use today (EXEC:'…',pty,stderr,setsid,sigint,sane and file:`tty`,raw,echo=0).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

/** Longest wait for a pane to print something before the test fails (a loaded machine). */
const GUARD_MS = 30_000;

interface Pane {
  dir: string;
  log: string;
  /** tmux with this test's own server socket. */
  tmux(...args: string[]): string;
  /** Type text (literally) into the pane; `keys` for named keys such as Enter or C-c. */
  type(text: string): void;
  keys(...keys: string[]): void;
  /** Resolves with the first match in everything the pane printed since `from`. */
  printed(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
  /** How much the pane has printed so far (for printed()'s `from`). */
  mark(): number;
  stop(): void;
}

/** A tmux server of our own (socket in a temp dir) with one 100x30 pane running sh. */
function openPane(t: TestContext, tmux: string): Pane {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-tmux-'));
  const socket = join(dir, 'tmux.sock');
  const log = join(dir, 'pane.log');
  writeFileSync(log, '');
  const run = (...args: string[]) =>
    execFileSync(tmux, ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  run('new-session', '-d', '-x', '100', '-y', '30', '-s', 'test', `env PS1='$ ' TERM=xterm sh`);
  run('pipe-pane', '-t', 'test', '-o', `cat >> '${log}'`);
  const printed = (pattern: RegExp, from = 0) => printedIn(log, pattern, from);
  const pane: Pane = {
    dir,
    log,
    tmux: run,
    type: (input) => run('send-keys', '-t', 'test', '-l', input),
    keys: (...keys) => run('send-keys', '-t', 'test', ...keys),
    printed,
    mark: () => readFileSync(log, 'latin1').length,
    stop: () => {
      try {
        run('kill-server');
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.after(() => pane.stop());
  return pane;
}

/** Resolves with the first match in what `file` holds from offset `from`, as it grows. */
function printedIn(file: string, pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  const text = () => readFileSync(file, 'latin1');
  return new Promise<RegExpExecArray>((resolve, reject) => {
    // A guard against a hang, not a wait: the pattern normally shows up within milliseconds.
    const guard = setTimeout(() => {
      watcher.close();
      reject(
        new Error(
          `the pane never printed ${pattern}; it printed ${JSON.stringify(text().slice(from))}`,
        ),
      );
    }, GUARD_MS);
    const check = () => {
      const match = pattern.exec(text().slice(from));
      if (!match) return false;
      clearTimeout(guard);
      watcher.close();
      resolve(match);
      return true;
    };
    const watcher = watch(file, () => check());
    check();
  });
}

function stop(child: ChildProcess | undefined) {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * The operator's side runs in the pane and prints `LISTENING <port>`; the target connects to it.
 * Returns the target's process once it runs.
 */
async function reverseShell(
  pane: Pane,
  listen: (port: string) => string,
  target: (port: number) => ChildProcess,
): Promise<ChildProcess> {
  pane.type(`stty -g > '${pane.dir}/before'; ${listen('0')}`);
  pane.keys('Enter');
  const port = Number((await pane.printed(/Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return target(port);
}

/**
 * Waits until a `sleep SECONDS` process is the foreground process group of its terminal
 * (/proc/PID/stat: pgrp equals tpgid), checking every 20 ms for at most 20 s.
 */
async function foregroundSleep(seconds: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let cmdline: string;
      let stat: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
        if (cmdline !== `sleep\0${seconds}\0`) continue;
        stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      } catch {
        continue; // the process ended while we looked
      }
      // Fields after the command's closing parenthesis: state ppid pgrp session tty_nr tpgid.
      const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (pgrp === tpgid) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no sleep ${seconds} became the foreground job of its terminal within 20 s`);
}

async function shellChecks(pane: Pane, size: string) {
  // The pane's own shell prompt came first; wait for the remote one.
  let from = pane.mark();
  await pane.printed(/remote\$ $/m, 0);
  pane.type('tty; stty size');
  pane.keys('Enter');
  const tty = await pane.printed(/(\/dev\/pts\/\d+)\r*\n(\d+ \d+)\r*\n/, from);
  assert.equal(tty[2], size);
  // Ctrl-C interrupts the remote sleep only: the session (and the remote shell) go on.
  from = pane.mark();
  pane.type('sleep 997; echo "after sleep $?"');
  pane.keys('Enter');
  await pane.printed(/sleep 997/, from);
  // Ctrl-C must come once the sleep is the terminal's foreground job: before that (the shell still
  // parsing, or between its fork and tcsetpgrp) the SIGINT goes to the shell, and the sleep runs on.
  await foregroundSleep('997');
  pane.keys('C-c');
  await pane.printed(/remote\$ $/m, from);
  from = pane.mark();
  pane.type('echo "still $((40+2))"');
  pane.keys('Enter');
  await pane.printed(/still 42/, from);
}

test('sockcat -l --raw and -e /bin/sh --pty: a real terminal, Ctrl-C for the remote, stty restored', async (t) => {
  const tmux = requirePeer(t, 'tmux');
  if (!tmux) return;
  const pane = openPane(t, tmux);
  let target: ChildProcess | undefined;
  t.after(() => stop(target));
  target = await reverseShell(
    pane,
    (port) =>
      `node '${BIN}' -lv --raw 127.0.0.1 ${port}; stty -g > '${pane.dir}/after'; echo FINISHED-$((6*7))`,
    (port) =>
      spawn(
        process.execPath,
        [BIN, '127.0.0.1', String(port), '-e', '/bin/sh', '--pty', '--pty-size', '100x30'],
        {
          env: { ...process.env, PS1: 'remote$ ', ENV: '' },
          stdio: 'ignore',
        },
      ),
  );
  await shellChecks(pane, '30 100');
  // Enter ~ . ends the session; the terminal is as it was.
  const from = pane.mark();
  pane.keys('Enter');
  pane.type('~.');
  await pane.printed(/ended by ~\.[\s\S]*FINISHED-42/, from);
  assert.equal(
    readFileSync(join(pane.dir, 'after'), 'latin1'),
    readFileSync(join(pane.dir, 'before'), 'latin1'),
  );
  const [code] = await (target.exitCode === null ? once(target, 'exit') : [target.exitCode]);
  assert.notEqual(code, null);
});

test('--pty-resize on both ends: the remote pty takes the pane size, then follows a tmux resize', async (t) => {
  const tmux = requirePeer(t, 'tmux');
  if (!tmux) return;
  const pane = openPane(t, tmux);
  let target: ChildProcess | undefined;
  t.after(() => stop(target));
  target = await reverseShell(
    pane,
    (port) =>
      `node '${BIN}' -lv --raw --pty-resize 127.0.0.1 ${port}; stty -g > '${pane.dir}/after'; echo FINISHED-$((6*7))`,
    (port) =>
      // No --pty-size: without the in-band size the terminal would be 80x24.
      spawn(
        process.execPath,
        [BIN, '127.0.0.1', String(port), '-e', '/bin/sh', '--pty', '--pty-resize'],
        {
          env: { ...process.env, PS1: 'remote$ ', ENV: '' },
          stdio: 'ignore',
        },
      ),
  );
  let from = pane.mark();
  await pane.printed(/remote\$ $/m, 0);
  pane.type('stty size');
  pane.keys('Enter');
  // Wait for the prompt too: a line typed before the shell prints it is echoed first, and the
  // program's output then follows the prompt on its line (a loaded run saw "remote$ armed").
  await pane.printed(/stty size\r*\n30 100\r*\nremote\$ $/, from);
  // A program on the remote pty that prints its size on SIGWINCH ('resize'), then exits.
  from = pane.mark();
  pane.type(
    `'${process.execPath}' -e 'setInterval(() => {}, 1e9); process.stdout.on("resize", () => { console.log("size " + process.stdout.columns + " " + process.stdout.rows); process.exit(0); }); console.log("armed")'`,
  );
  pane.keys('Enter');
  await pane.printed(/^armed\r*$/m, from);
  from = pane.mark();
  pane.tmux('resize-window', '-t', 'test', '-x', '120', '-y', '40');
  await pane.printed(/size 120 40[\s\S]*remote\$ $/m, from);
  from = pane.mark();
  pane.type('stty size');
  pane.keys('Enter');
  await pane.printed(/stty size\r*\n40 120\r*\n/, from);
  from = pane.mark();
  pane.keys('Enter');
  pane.type('~.');
  await pane.printed(/ended by ~\.[\s\S]*FINISHED-42/, from);
  assert.equal(
    readFileSync(join(pane.dir, 'after'), 'latin1'),
    readFileSync(join(pane.dir, 'before'), 'latin1'),
  );
});

test('the socat recipe passes the same checks (the reference)', async (t) => {
  const tmux = requirePeer(t, 'tmux');
  const socat = requirePeer(t, 'socat');
  if (!tmux || !socat) return;
  const pane = openPane(t, tmux);
  let target: ChildProcess | undefined;
  t.after(() => stop(target));
  const socatLog = join(pane.dir, 'socat.log');
  writeFileSync(socatLog, '');
  // socat names the port it bound only in its -d -d log: keep that out of the pane.
  pane.type(
    `stty -g > '${pane.dir}/before'; socat -d -d file:\`tty\`,raw,echo=0 TCP-LISTEN:0,bind=127.0.0.1 2> '${socatLog}'; stty -g > '${pane.dir}/after'; echo FINISHED-$((6*7))`,
  );
  pane.keys('Enter');
  const port = Number((await printedIn(socatLog, /listening on .*:(\d+)/))[1]);
  target = spawn(
    socat,
    ['EXEC:bash --norc --noprofile -i,pty,stderr,setsid,sigint,sane', `TCP:127.0.0.1:${port}`],
    { env: { ...process.env, PS1: 'remote$ ' }, stdio: 'ignore' },
  );
  // socat leaves the pty without a window size (users type `stty rows R cols C` by hand); sockcat's
  // --pty-size sets it.
  await shellChecks(pane, '0 0');
  stop(target);
  await pane.printed(/FINISHED-42/);
  assert.equal(
    readFileSync(join(pane.dir, 'after'), 'latin1'),
    readFileSync(join(pane.dir, 'before'), 'latin1'),
  );
});
