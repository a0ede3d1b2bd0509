// --forward and WebSocket against real peers: ncat and socat behind a forward, curl through one,
// OpenSSH's ProxyCommand through a wss forward to an sshd on loopback.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

const run = promisify(execFile);

async function startForward(t: TestContext, args: string[]) {
  const child = spawnCli(['-lkv', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

/** Send `request`, half-close, and read everything the far side answers after the FIN. */
async function exchange(port: number, request: string): Promise<string> {
  const client = await connect(`127.0.0.1:${port}`);
  try {
    await client.send(request);
    await client.shutdown('send');
    return (await client.recvAll()).toString();
  } finally {
    client.destroy();
  }
}

test('ncat -l -k -c behind --forward: each client gets its own ncat child', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  // ncat 7.93 stops relaying a -c child's output at the client's FIN, so the child answers
  // before it (EOF per direction is checked against socat below).
  const far = await startListeningPeer(t, {
    command: ncat,
    args: ['-v', '-l', '-k', '127.0.0.1', '0', '-c', 'read line; echo "ncat got $line"'],
    ready: /Listening on/,
    reportsPort: false,
  });
  const { port } = await startForward(t, ['--forward', `127.0.0.1:${far.port}`]);
  for (const word of ['one', 'two']) {
    const client = await connect(`127.0.0.1:${port}`);
    await client.sendLine(word);
    assert.equal((await client.recvAll()).toString(), `ncat got ${word}\n`);
    client.destroy();
  }
});

test('ncat as the client of --forward: its stdin EOF is a FIN the target sees', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const { port } = await startForward(t, ['--forward', `127.0.0.1:${target.address().port}`]);
  const child = spawn(ncat, ['127.0.0.1', String(port)], { stdio: 'pipe' });
  t.after(() => stop(child));
  child.stdin.end('from ncat\n');
  const upstream = await target.accept();
  assert.equal((await upstream.recvAll()).toString(), 'from ncat\n');
  upstream.destroy();
});

test('socat behind --forward, and socat as the client of one', async (t) => {
  const socat = requirePeer(t, 'socat');
  if (!socat) return;
  const far = await startListeningPeer(t, {
    command: socat,
    args: ['-d', '-d', 'TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr', 'SYSTEM:cat; echo after-eof'],
    ready: /listening on AF=2 127\.0\.0\.1:(\d+)/,
    reportsPort: true,
  });
  const { port } = await startForward(t, ['--forward', `127.0.0.1:${far.port}`]);
  assert.equal(await exchange(port, 'via socat\n'), 'via socat\nafter-eof\n');
  const client = spawn(socat, ['-', `TCP:127.0.0.1:${port}`], { stdio: 'pipe' });
  t.after(() => stop(client));
  const done = finished(client);
  // socat's stdin is empty: it half-closes at once, and the answer still comes back.
  client.stdin.end();
  const result = await done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'after-eof\n');
});

test('curl through --forward, and through a TCP -> ws:// -> TCP tunnel', async (t) => {
  const curl = requirePeer(t, 'curl');
  if (!curl) return;
  const origin = createServer((request, response) => {
    response.end(`origin saw ${request.method} ${request.url}\n`);
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  t.after(() => origin.close());
  const originPort = (origin.address() as { port: number }).port;
  const direct = await startForward(t, ['--forward', `127.0.0.1:${originPort}`]);
  const { stdout } = await run(curl, ['-sS', `http://127.0.0.1:${direct.port}/direct`]);
  assert.equal(stdout, 'origin saw GET /direct\n');
  const back = await startForward(t, [
    '--websocket',
    '--ws-path',
    '/tunnel',
    '--forward',
    `127.0.0.1:${originPort}`,
  ]);
  const front = await startForward(t, ['--forward', `ws://127.0.0.1:${back.port}/tunnel`]);
  const tunnelled = await run(curl, ['-sS', '-d', 'x=1', `http://127.0.0.1:${front.port}/ws`]);
  assert.equal(tunnelled.stdout, 'origin saw POST /ws\n');
});

test('ssh -o ProxyCommand="sockcat wss://..." through a wss forward to a test sshd', async (t) => {
  const sshd = requirePeer(t, 'sshd');
  const ssh = requirePeer(t, 'ssh');
  const keygen = requirePeer(t, 'ssh-keygen');
  if (!sshd || !ssh || !keygen) return;
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-sshd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user_key')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user_key.pub')), {
    mode: 0o600,
  });
  const config = [
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  // sshd wants its privilege separation directory (the Debian service makes it at boot).
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  // sshd cannot listen on port 0: it runs in inetd mode (-i), one per connection, behind a
  // sockcat -l -k -e on a port the kernel chose.
  const server = await startForward(t, ['-e', `${sshd} -i -e -f ${join(dir, 'sshd_config')}`]);
  const gate = await startForward(t, [
    '--ssl',
    '--websocket',
    '--ws-path',
    '/ssh',
    '--forward',
    `127.0.0.1:${server.port}`,
  ]);
  const fingerprint = (await waitForLine(gate.child.stderr!, /SHA-256 fingerprint: (\S+)/))[1];
  const proxy = `${process.execPath} ${BIN} --ssl-insecure --ssl-pin sha256:${fingerprint} wss://127.0.0.1:${gate.port}/ssh`;
  const { stdout } = await run(ssh, [
    '-F',
    '/dev/null',
    '-i',
    join(dir, 'user_key'),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    `ProxyCommand=${proxy}`,
    `${userInfo().username}@sockcat-test`,
    'echo hello over wss',
  ]);
  assert.equal(stdout, 'hello over wss\n');
});
