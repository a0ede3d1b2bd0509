// spawn(): tubes over real programs (cat, sh, python3), on pipes and on a pty.
import assert from 'node:assert/strict';
import { spawn as spawnNode } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArgumentError, ExecError } from '../../src/errors.js';
import { spawn } from '../../src/tube/process.js';
import { terminated } from '../helpers/child.js';
import { ROOT } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

const s = (buffer: Buffer) => buffer.toString('latin1');

/** Run a script that imports sockcat in a fresh node; its exit status, stdout and stderr. */
async function runScript(script: string) {
  const child = spawnNode(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  return { code, signal, stdout, stderr };
}

test('a line to cat and back; close() resolves once cat has exited with its own status', async () => {
  const cat = spawn('cat');
  assert.ok(cat.pid > 0);
  assert.equal(cat.running, true);
  assert.equal(cat.exitCode, null);
  await cat.sendLine('hello');
  assert.equal(s(await cat.recvLine()), 'hello\n');
  await cat.close();
  assert.equal(cat.running, false);
  assert.equal(cat.exitCode, 0);
  assert.equal(cat.signalCode, null);
});

test("stderr 'merge' reads it through the tube, 'pipe' keeps it apart", async () => {
  const merged = spawn('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  const all = s(await merged.recvAll());
  assert.deepEqual(all.split('\n').sort(), ['', 'err', 'out']);
  await merged.close();
  assert.equal(merged.exitCode, 3);

  const piped = spawn('sh', ['-c', 'echo out; echo err >&2'], { stderr: 'pipe' });
  let err = '';
  piped.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  assert.equal(s(await piped.recvAll()), 'out\n');
  await piped.close();
  if (!piped.stderr!.readableEnded) await once(piped.stderr!, 'end');
  assert.equal(err, 'err\n');
});

test('kill() and wait(): the signal that ended the child is reported', async () => {
  const sleeper = spawn('sleep', ['100']);
  sleeper.kill('SIGTERM');
  assert.deepEqual(await sleeper.wait(), { exitCode: null, signal: 'SIGTERM' });
  assert.equal(sleeper.signalCode, 'SIGTERM');
  await sleeper.close();
  assert.throws(() => sleeper.kill('TERM' as never), ArgumentError);
});

test('close() ends a child that ignores end of input after closeTimeout (SIGTERM)', async () => {
  const stubborn = spawn('sleep', ['100'], { closeTimeout: 20 });
  await stubborn.close();
  assert.equal(stubborn.signalCode, 'SIGTERM');
});

test('a pending receive keeps the script alive (no silent exit 13 mid-await)', async () => {
  const result = await runScript(`
    import { spawn } from 'sockcat';
    const p = spawn('sh', ['-c', 'read x; echo "got $x"']);
    await p.sendLine('it');
    console.log(String(await p.recvLine()).trim());
    await p.close();
    console.log('exit', p.exitCode);
  `);
  assert.deepEqual(result, { code: 0, signal: null, stdout: 'got it\nexit 0\n', stderr: '' });
});

test('a script that forgets close() still ends, and its children are killed', {
  timeout: 60_000,
}, async (t) => {
  const python = requirePeer(t, 'python3');
  if (!python) return;
  const result = await runScript(`
    import { spawn } from 'sockcat';
    const p = spawn('sleep', ['100000']);
    console.log(p.pid);
  `);
  assert.equal(result.code, 0);
  const pid = Number(result.stdout.trim());
  assert.ok(pid > 0);
  let ended = false;
  // Should it outlive the test (the bug this test is for), it is ended here: still running, so
  // the number is still its own.
  t.after(() => {
    if (!ended) process.kill(pid, 'SIGKILL');
  });
  // The script's exit sends SIGKILL: wait for the sleep to end (gone, or a zombie for init to
  // reap). Reading its state at once raced the kernel, which on a busy machine may not have run
  // the killed process to its end yet. A sleep left running holds this until the timeout.
  await terminated(t, python, pid);
  ended = true;
});

test('env and cwd reach the child; a missing program is an ExecError before anything runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-spawn-'));
  try {
    const p = spawn('sh', ['-c', 'echo "$GREETING $(pwd)"'], {
      env: { ...process.env, GREETING: 'hi' },
      cwd: dir,
    });
    assert.equal(s(await p.recvAll()), `hi ${dir}\n`);
    await p.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(
    () => spawn('/nonexistent/program'),
    (error: unknown) => {
      assert.ok(error instanceof ExecError);
      assert.equal(error.message, 'spawn "/nonexistent/program" failed: No such file or directory');
      return true;
    },
  );
  assert.throws(() => spawn('no-such-program-sockcat'), {
    message:
      'spawn "no-such-program-sockcat" failed: No such file or directory (not found on PATH)',
  });
  assert.throws(() => spawn('cat', [], { cwd: '/nonexistent/dir' }), {
    code: 'SOCKCAT_EXEC',
    message:
      'spawn "cat" in "/nonexistent/dir" failed: No such file or directory (the working directory)',
  });
});

test('bad options are ArgumentErrors', () => {
  assert.throws(() => spawn('cat', [], { stderr: 'pipe', pty: true }), {
    message:
      "spawn: stderr 'pipe' cannot be honoured on a pty (the program writes stderr to the terminal); leave it 'merge'",
  });
  assert.throws(() => spawn('cat', [], { stderr: 'null' as never }), ArgumentError);
  assert.throws(() => spawn('cat', 'arg' as never), {
    message: 'spawn: args must be an array of strings',
  });
  assert.throws(() => spawn(''), {
    message: 'spawn needs a program (a non-empty string), not a string',
  });
  assert.throws(() => spawn('cat', [], { pty: { cols: 0 } }), {
    message: 'pty cols must be an integer from 1 to 65535, not the number 0',
  });
});

test('on a pty, a buffering program answers line by line; raw mode echoes nothing', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const script = "print('name?'); n = input(); print('hi', n)";
  const p = spawn('python3', ['-c', script], { pty: { cols: 100, rows: 30 } });
  assert.match(p.ttyName ?? '', /^\/dev\/pts\/\d+$/);
  assert.equal(s(await p.recvLine()), 'name?\n');
  await p.sendLine('bob');
  assert.equal(s(await p.recvLine()), 'hi bob\n');
  assert.equal(s(await p.recvAll()), '');
  await p.close();
  assert.equal(p.exitCode, 0);
});

test('a pty is the controlling terminal of a new session, with the size asked for', async (t) => {
  if (!requirePeer(t, 'python3')) return;
  const script = [
    'import os, sys',
    'print(os.isatty(0), os.isatty(1), os.isatty(2))',
    'print(os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp())',
    'print(os.get_terminal_size().columns, os.get_terminal_size().lines)',
    'print(os.environ["TERM"])',
  ].join('\n');
  const p = spawn('python3', ['-c', script], { pty: { cols: 123, rows: 45, term: 'vt100' } });
  assert.equal(s(await p.recvAll()), 'True True True\nTrue True\n123 45\nvt100\n');
  await p.close();
});

test('a cooked pty echoes and translates newlines; close() hangs up a shell', async () => {
  const p = spawn('sh', [], { pty: { raw: false }, env: { ...process.env, PS1: '$ ' } });
  await p.recvUntil('$ ');
  await p.sendLine('echo $((6*7))');
  assert.equal(s(await p.recvUntil('$ ')), 'echo $((6*7))\r\n42\r\n$ ');
  p.resize({ cols: 77, rows: 11 });
  await p.sendLine('stty size');
  assert.equal(s(await p.recvUntil('$ ')), 'stty size\r\n11 77\r\n$ ');
  await p.close();
  assert.ok(p.signalCode === 'SIGHUP' || p.exitCode !== null, `ended by ${p.signalCode}`);
  assert.equal(p.running, false);
});
