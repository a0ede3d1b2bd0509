// sshProcess() and SshConnection against a real OpenSSH server (test/helpers/sshd.ts): output and
// exit status, end of input, a pty (tty, stty size, resize), signals, env, the failures (wrong
// key, wrong host key, refused, silent server, abort) and no process left behind.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { symlink, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  AbortError,
  ArgumentError,
  ConnectionRefusedError,
  HostKeyError,
  SshAuthError,
  SshError,
  TimeoutError,
} from '../../src/errors.js';
import { sshConnect, sshProcess } from '../../src/ssh/index.js';
import { refusedPort } from '../helpers/ports.js';
import { processesMentioning, startSshd, type TestSshd } from '../helpers/sshd.js';

function target(sshd: TestSshd): string {
  return `127.0.0.1:${sshd.port}`;
}

function auth(sshd: TestSshd) {
  return {
    username: sshd.username,
    privateKeyFile: sshd.userKeyFile,
    hostFingerprint: sshd.hostFingerprint,
  };
}

test('sshProcess: output, exit status, and close() closes the connection', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const p = await sshProcess(target(sshd), 'echo hello; exit 3', auth(sshd));
  assert.equal(String(await p.recvLine()), 'hello\n');
  assert.deepEqual(await p.wait(), { exitCode: 3, signal: null });
  assert.equal(p.exitCode, 3);
  assert.equal(p.signalCode, null);
  assert.equal(p.running, false);
  assert.equal(p.connection.hostKey.fingerprint, sshd.hostFingerprint);
  assert.equal(p.connection.hostKey.keyType, 'ssh-ed25519');
  assert.equal(p.peerName, target(sshd));
  await p.close();
  assert.equal(p.connection.closed, true);
  await sshd.allExited();
});

test('sshProcess: stderr kept apart with stderr: pipe, merged by default', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const apart = await sshProcess(target(sshd), 'echo out; echo err >&2', {
    ...auth(sshd),
    stderr: 'pipe',
  });
  const errors: Buffer[] = [];
  apart.stderr!.on('data', (chunk: Buffer) => errors.push(chunk));
  const stderrEnded = once(apart.stderr!, 'end');
  assert.equal(String(await apart.recvAll()), 'out\n');
  await stderrEnded;
  assert.equal(Buffer.concat(errors).toString(), 'err\n');
  await apart.close();
  const merged = await sshProcess(target(sshd), 'echo err >&2', auth(sshd));
  assert.equal(String(await merged.recvAll()), 'err\n');
  await merged.close();
});

test('sshProcess: end of input reaches the command, and bytes arrive whole', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const cat = await sshProcess(target(sshd), ['cat'], auth(sshd));
  await cat.sendLine('one');
  assert.equal(String(await cat.recvLine()), 'one\n');
  await cat.shutdown('send');
  assert.equal((await cat.recvAll()).length, 0);
  assert.deepEqual(await cat.wait(), { exitCode: 0, signal: null });
  await cat.close();
  // More than SSH's window (2 MiB in ssh2) through the channel, counted after EOF.
  const count = await sshProcess(target(sshd), 'wc -c', auth(sshd));
  const payload = Buffer.alloc(3 * 1024 * 1024, 0x61);
  await count.send(payload);
  await count.shutdown('send');
  assert.equal(String(await count.recvAll()).trim(), String(payload.length));
  await count.close();
});

test('sshProcess: an array command is quoted word for word', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const p = await sshProcess(target(sshd), ['printf', '%s|', "it's", 'a b', '$HOME'], auth(sshd));
  assert.equal(String(await p.recvAll()), "it's|a b|$HOME|");
  await p.close();
});

test('sshProcess with a pty: tty is a pts, stty size matches, resize reaches it', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const p = await sshProcess(target(sshd), 'tty; stty size', {
    ...auth(sshd),
    pty: { cols: 100, rows: 30 },
  });
  const [tty, size] = await p.recvLines(2, { drop: true });
  assert.match(String(tty), /^\/dev\/pts\/\d+$/);
  // Raw by default: no "\r" added to the lines.
  assert.equal(String(size), '30 100');
  await p.close();

  const connection = await sshConnect(target(sshd), auth(sshd));
  t.after(() => connection.close());
  const shell = await connection.process(
    // `wait` returns when a trapped signal arrives (POSIX), so the trap runs at once.
    `trap 'stty size' WINCH; echo ready; while :; do sleep 1000 & wait $!; kill $! 2>/dev/null; done`,
    { pty: { cols: 80, rows: 24 } },
  );
  assert.equal(String(await shell.recvLine()), 'ready\n');
  shell.resize({ cols: 132, rows: 43 });
  assert.equal(String(await shell.recvLine()), '43 132\n');
  await shell.close();
  assert.equal(shell.signalCode, 'SIGHUP');
  assert.throws(() => shell.resize({ cols: 0, rows: 1 }), ArgumentError);
});

test('shell(): a login shell on a cooked pty', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const connection = await sshConnect(target(sshd), auth(sshd));
  t.after(() => connection.close());
  const shell = await connection.shell({ pty: { raw: false }, timeout: 20_000 });
  await shell.sendLine('echo "sh""ell:$((6*7))"; exit 5');
  await shell.recvUntil('shell:42');
  assert.deepEqual(await shell.wait(), { exitCode: 5, signal: null });
  await shell.close();
  const second = await connection.process('echo again', {});
  assert.equal(String(await second.recvAll()), 'again\n');
  await second.close();
  await connection.close();
  assert.equal(connection.closed, true);
});

test('kill() sends a signal; close() ends a command that ignores its input', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  // The command is a link named after the test's folder, so that /proc shows it if it stays.
  const sleeper = join(sshd.dir, 'sleeper');
  await symlink('/bin/sleep', sleeper);
  // Signalled once it runs: sshd signals the command's process group, which exists only once
  // the session's child has started it.
  const command = `echo started; exec ${sleeper} 1000`;
  const interrupted = await sshProcess(target(sshd), command, auth(sshd));
  assert.equal(String(await interrupted.recvLine()), 'started\n');
  interrupted.kill('SIGINT');
  assert.deepEqual(await interrupted.wait(), { exitCode: null, signal: 'SIGINT' });
  await interrupted.close();
  assert.throws(() => interrupted.kill('SIGWINCH'), ArgumentError);

  const stubborn = await sshProcess(target(sshd), command, {
    ...auth(sshd),
    tube: { closeTimeout: 50 },
  });
  assert.equal(String(await stubborn.recvLine()), 'started\n');
  await stubborn.close();
  assert.equal(stubborn.signalCode, 'SIGTERM');
  assert.equal(stubborn.connection.closed, true);
  await sshd.allExited();
  assert.deepEqual(await processesMentioning(sshd.dir), []);
});

test('env: variables the server accepts (AcceptEnv SOCKCAT_*) are set', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const p = await sshProcess(target(sshd), 'echo "$SOCKCAT_GREETING"', {
    ...auth(sshd),
    env: { SOCKCAT_GREETING: 'hi there' },
  });
  assert.equal(String(await p.recvAll()), 'hi there\n');
  await p.close();
});

test('a key the server does not know: SshAuthError', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...auth(sshd), privateKeyFile: sshd.otherKeyFile }),
    (error: unknown) => {
      assert.ok(error instanceof SshAuthError, String(error));
      assert.equal(error.code, 'SOCKCAT_SSH_AUTH');
      assert.deepEqual(error.methods, ['publickey']);
      assert.equal(error.username, sshd.username);
      assert.equal(
        error.message,
        `ssh server ${target(sshd)} refused authentication as "${sshd.username}": tried publickey (key ${sshd.otherFingerprint})`,
      );
      return true;
    },
  );
  await sshd.allExited();
});

test('a host key other than the one expected: HostKeyError, before any sign-in', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...auth(sshd), hostFingerprint: sshd.otherFingerprint }),
    (error: unknown) => {
      assert.ok(error instanceof HostKeyError, String(error));
      assert.equal(error.reason, 'mismatch');
      assert.equal(error.fingerprint, sshd.hostFingerprint);
      assert.equal(
        error.message,
        `host key of ${target(sshd)} does not match: it offered ssh-ed25519 ${sshd.hostFingerprint}, expected ${sshd.otherFingerprint}`,
      );
      return true;
    },
  );
  await sshd.allExited();
  assert.doesNotMatch(sshd.log(), /Accepted publickey/);
});

test('known_hosts: a matching entry (hashed or not) passes; another key or none is refused', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const { hostFingerprint: _, ...keyOnly } = auth(sshd);
  const file = join(sshd.dir, 'known_hosts');
  const name = `[127.0.0.1]:${sshd.port}`;
  await writeFile(
    file,
    `# test\nother.example ${sshd.otherPublicKey}\n${name} ${sshd.hostPublicKey}\n`,
  );
  const ok = await sshProcess(target(sshd), 'echo known', { ...keyOnly, knownHosts: file });
  assert.equal(String(await ok.recvAll()), 'known\n');
  await ok.close();

  await writeFile(file, `${name} ${sshd.otherPublicKey}\n`);
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...keyOnly, knownHosts: file }),
    (error: unknown) =>
      error instanceof HostKeyError &&
      error.reason === 'mismatch' &&
      error.message.startsWith(
        `host key of ${target(sshd)} has changed: it offered ssh-ed25519 ${sshd.hostFingerprint}, which ${file} does not list for ${name} (line 1)`,
      ),
  );

  await writeFile(file, `other.example ${sshd.hostPublicKey}\n`);
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...keyOnly, knownHosts: file }),
    (error: unknown) => error instanceof HostKeyError && error.reason === 'unknown',
  );
  await writeFile(file, `@revoked * ${sshd.hostPublicKey}\n${name} ${sshd.hostPublicKey}\n`);
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...keyOnly, knownHosts: file }),
    (error: unknown) => error instanceof HostKeyError && error.reason === 'revoked',
  );
  await sshd.allExited();
});

test('insecureHostKey accepts any key; it cannot be combined with a check', async (t) => {
  const sshd = await startSshd(t);
  if (!sshd) return;
  const { hostFingerprint: _, ...keyOnly } = auth(sshd);
  const p = await sshProcess(target(sshd), 'echo unchecked', { ...keyOnly, insecureHostKey: true });
  assert.equal(String(await p.recvAll()), 'unchecked\n');
  assert.equal(p.connection.hostKey.fingerprint, sshd.hostFingerprint);
  await p.close();
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...auth(sshd), insecureHostKey: true }),
    ArgumentError,
  );
});

test('password sign-in (root: a shadow file of the test own in a mount namespace)', async (t) => {
  const sshd = await startSshd(t, { password: 'correct horse' });
  if (!sshd) return;
  const base = { username: sshd.username, hostFingerprint: sshd.hostFingerprint };
  const p = await sshProcess(target(sshd), 'echo by password', {
    ...base,
    password: 'correct horse',
  });
  assert.equal(String(await p.recvAll()), 'by password\n');
  await p.close();
  await assert.rejects(
    sshProcess(target(sshd), 'true', { ...base, password: 'wrong' }),
    (error: unknown) => error instanceof SshAuthError && error.methods.join() === 'password',
  );
  await sshd.allExited();
});

test('a refused port: ConnectionRefusedError, as connect() reports it', async () => {
  const port = await refusedPort();
  await assert.rejects(
    sshProcess(`127.0.0.1:${port}`, 'true', { password: 'x', insecureHostKey: true }),
    (error: unknown) =>
      error instanceof ConnectionRefusedError &&
      error.message === `connect to 127.0.0.1:${port} failed: Connection refused`,
  );
});

test('a server that never speaks: TimeoutError; an abort: AbortError', async (t) => {
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => {
    for (const socket of held) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as { port: number };
  await assert.rejects(
    sshConnect(`127.0.0.1:${port}`, { password: 'x', insecureHostKey: true, timeout: 100 }),
    (error: unknown) =>
      error instanceof TimeoutError &&
      error.message === `ssh to 127.0.0.1:${port} timed out after 100ms (in the SSH handshake)`,
  );
  const controller = new AbortController();
  const pending = sshConnect(`127.0.0.1:${port}`, {
    password: 'x',
    insecureHostKey: true,
    signal: controller.signal,
  });
  await once(silent, 'connection');
  controller.abort();
  await assert.rejects(pending, AbortError);
});

test('a peer that is not an SSH server: SshError', async (t) => {
  const http = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  t.after(() => http.close());
  const { port } = http.address() as { port: number };
  await assert.rejects(
    sshConnect(`127.0.0.1:${port}`, { password: 'x', insecureHostKey: true }),
    (error: unknown) => error instanceof SshError && error.code === 'SOCKCAT_SSH',
  );
});

test('bad arguments: ArgumentError before any connection', async () => {
  await assert.rejects(sshConnect('127.0.0.1:22', {}), /needs credentials/);
  await assert.rejects(
    sshConnect('127.0.0.1:22', { password: 'x', hostFingerprint: 'deadbeef' }),
    /SHA-256 fingerprint/,
  );
  await assert.rejects(
    sshConnect('127.0.0.1:22', { privateKey: 'not a key', insecureHostKey: true }),
    /privateKey is not a usable private key/,
  );
  await assert.rejects(
    sshConnect('127.0.0.1:22', { privateKeyFile: '/nonexistent/key', insecureHostKey: true }),
    /cannot read privateKeyFile "\/nonexistent\/key": No such file or directory/,
  );
  await assert.rejects(
    sshProcess('127.0.0.1:22', '', { password: 'x', insecureHostKey: true }),
    ArgumentError,
  );
  await assert.rejects(
    sshProcess('127.0.0.1:22', 'true', {
      password: 'x',
      insecureHostKey: true,
      pty: true,
      stderr: 'pipe',
    }),
    /cannot be honoured on a pty/,
  );
});
