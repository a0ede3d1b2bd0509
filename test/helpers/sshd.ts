// A real OpenSSH server for tests, on a loopback port the kernel chose. sshd cannot listen on
// port 0, so it runs in inetd mode: this helper owns a listener on port 0 and starts one
// `sshd -i` per accepted connection, with the socket as its stdin and stdout. Its host key, the
// user's key and its sshd_config live in a temporary folder of the test's own.
//
// As root (CI), sshd needs its privilege separation folder /run/sshd (made here when missing),
// and the tests sign in as a user of their own, `sockcat-test` (uid 65534), not as root:
// OpenSSH runs a root login's session without privilege separation and then refuses "signal"
// requests ("session signalling requires privilege separation"). The user exists only inside a
// private mount namespace per sshd, where a copy of /etc/passwd with that user (and, for the
// password test, a shadow file with its password) is bind-mounted. As another user, sshd runs
// unprivileged and signs in only that same user, which the tests then use; the password test
// needs root and skips.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requirePeer } from './peers.js';

const run = promisify(execFile);

export interface TestSshd {
  port: number;
  dir: string;
  username: string;
  /** The user's private key file, listed in authorized_keys. */
  userKeyFile: string;
  /** Another private key, not authorized. */
  otherKeyFile: string;
  /** The host key's SHA-256 fingerprint, as ssh-keygen -l prints it. */
  hostFingerprint: string;
  /** The host key's public line (`ssh-ed25519 AAAA…`), for known_hosts files. */
  hostPublicKey: string;
  /** Another key's public line and fingerprint, for mismatch tests. */
  otherPublicKey: string;
  otherFingerprint: string;
  /** The sshd processes started so far (one per connection). */
  sessions: ChildProcess[];
  /** What the sshd processes wrote on stderr (their -e log), for failure messages. */
  log(): string;
  /** Resolves once every sshd started so far has exited. */
  allExited(): Promise<void>;
}

export interface SshdOptions {
  /** More sshd_config lines. */
  config?: string[];
  /** A password for the user (root only): sshd reads it from a shadow file of the test's own. */
  password?: string;
}

async function keygen(
  tool: string,
  file: string,
): Promise<{ publicKey: string; fingerprint: string }> {
  await run(tool, ['-q', '-t', 'ed25519', '-N', '', '-C', 'sockcat-test', '-f', file]);
  const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  const { stdout } = await run(tool, ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
  const fingerprint = stdout.split(' ')[1] ?? '';
  return { publicKey, fingerprint };
}

/** Starts the listener; every resource is released by `t.after`. Undefined when sshd is missing. */
export async function startSshd(
  t: TestContext,
  options: SshdOptions = {},
): Promise<TestSshd | undefined> {
  const sshd = requirePeer(t, 'sshd');
  const tool = requirePeer(t, 'ssh-keygen');
  if (!sshd || !tool) return undefined;
  if (options.password !== undefined && process.getuid?.() !== 0) {
    t.skip('needs root: the password test gives sshd a shadow file in a private mount namespace');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-sshd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const host = await keygen(tool, join(dir, 'host_key'));
  await keygen(tool, join(dir, 'user_key'));
  const other = await keygen(tool, join(dir, 'other_key'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user_key.pub')), {
    mode: 0o600,
  });
  const root = process.getuid?.() === 0;
  const username = root ? 'sockcat-test' : userInfo().username;
  const config = [
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PidFile none',
    `PasswordAuthentication ${options.password === undefined ? 'no' : 'yes'}`,
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    'AcceptEnv SOCKCAT_*',
    'LogLevel VERBOSE',
    ...(options.config ?? []),
  ];
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const sshdArgs = ['-i', '-e', '-f', join(dir, 'sshd_config')];
  let command = sshd;
  let args = sshdArgs;
  if (root) {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    // The session runs as the test user: it reads its authorized_keys and runs from the folder.
    await chmod(dir, 0o755);
    await chmod(join(dir, 'authorized_keys'), 0o644);
    const passwd = await readFile('/etc/passwd', 'utf8');
    await writeFile(
      join(dir, 'passwd'),
      `${passwd.trimEnd()}\n${username}:x:65534:65534:sockcat test:${dir}:/bin/sh\n`,
    );
    let shadow = '';
    if (options.password !== undefined) {
      const { stdout } = await run('openssl', ['passwd', '-6', options.password]);
      shadow = join(dir, 'shadow');
      await writeFile(shadow, `${username}:${stdout.trim()}:19000:0:99999:7:::\n`, { mode: 0o600 });
    }
    command = 'unshare';
    args = [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc/passwd && { [ -z "$2" ] || mount --bind "$2" /etc/shadow; } && shift 2 && exec "$@"',
      'sh',
      join(dir, 'passwd'),
      shadow,
      sshd,
      ...sshdArgs,
    ];
  }
  const sessions: ChildProcess[] = [];
  const exits: Promise<unknown>[] = [];
  let log = '';
  const server: Server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
    const child = spawn(command, args, { stdio: [socket, socket, 'pipe'] });
    sessions.push(child);
    exits.push(once(child, 'exit'));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      log += text;
    });
    // sshd has its own copy of the socket now; ours is closed without a FIN (close, not shutdown).
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.close();
    for (const child of sessions) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(exits);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    dir,
    username,
    userKeyFile: join(dir, 'user_key'),
    otherKeyFile: join(dir, 'other_key'),
    hostFingerprint: host.fingerprint,
    hostPublicKey: host.publicKey,
    otherPublicKey: other.publicKey,
    otherFingerprint: other.fingerprint,
    sessions,
    log: () => log,
    allExited: async () => {
      await Promise.all(exits);
    },
  };
}

/** Process ids whose command line mentions `text` (a test's temporary folder), this one aside. */
export async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) found.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return found;
}
