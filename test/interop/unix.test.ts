// -U against real Unix-socket peers, in both roles: nc.openbsd -U, socat UNIX-CONNECT/UNIX-LISTEN,
// ncat -U. Each side sends one line and ends its input; each must print the other's line.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import {
  type Finished,
  feedStdin,
  finished,
  spawnCli,
  stop,
  waitForLine,
} from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

interface UnixPeer {
  command: string;
  listen(path: string): string[];
  connect(path: string): string[];
  /** What the peer prints on stderr once it listens. */
  ready: RegExp;
}

const PEERS: UnixPeer[] = [
  {
    command: 'nc.openbsd',
    listen: (path) => ['-v', '-l', '-U', path],
    connect: (path) => ['-U', path],
    ready: /Listening on /,
  },
  {
    command: 'socat',
    listen: (path) => ['-d', '-d', '-', `UNIX-LISTEN:${path}`],
    connect: (path) => ['-', `UNIX-CONNECT:${path}`],
    ready: /listening on/,
  },
  {
    command: 'ncat',
    listen: (path) => ['-v', '-l', '-U', path],
    connect: (path) => ['-U', path],
    ready: /Listening on /,
  },
];

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-unix-interop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spawnPeer(t: TestContext, command: string, args: string[]) {
  const child = spawn(command, args, { stdio: 'pipe' });
  t.after(() => stop(child));
  return child;
}

/**
 * The connecting side sends its line and keeps its input open; once the listener printed it, the
 * listener sends its line and ends its input; once the connecting side printed that, it ends its
 * input too. (In listen mode a peer's FIN ends the session at once, in ncat as in sockcat, so the
 * order matters.)
 */
async function exchange(
  listener: ChildProcess,
  connector: ChildProcess,
  listenerDone: Promise<Finished>,
  connectorDone: Promise<Finished>,
  connectorName: string,
  listenerName: string,
): Promise<[Finished, Finished]> {
  connector.stdin!.on('error', () => {});
  connector.stdin!.write(`from ${connectorName}\n`);
  await waitForLine(listener.stdout!, /from .*\n/);
  feedStdin(listener, `from ${listenerName}\n`);
  await waitForLine(connector.stdout!, /from .*\n/);
  connector.stdin!.end();
  return Promise.all([listenerDone, connectorDone]);
}

for (const peer of PEERS) {
  describe(`-U with ${peer.command}`, () => {
    test(`sockcat -l -U, ${peer.command} connects`, async (t) => {
      const command = requirePeer(t, peer.command);
      if (command === undefined) return;
      const path = join(tempDir(t), 'sockcat.sock');
      const server = spawnCli(['-v', '-l', '-U', path]);
      t.after(() => stop(server));
      const serverDone = finished(server);
      await waitForLine(server.stderr!, /Listening on /);
      const client = spawnPeer(t, command, peer.connect(path));
      const clientDone = finished(client);
      const [s, c] = await exchange(
        server,
        client,
        serverDone,
        clientDone,
        peer.command,
        'sockcat',
      );
      assert.equal(s.code, 0, s.stderr);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(s.stdout.toString(), `from ${peer.command}\n`);
      assert.equal(c.stdout.toString(), 'from sockcat\n');
      assert.equal(existsSync(path), false, 'sockcat removed its socket file');
    });

    test(`${peer.command} listens, sockcat -U connects`, async (t) => {
      const command = requirePeer(t, peer.command);
      if (command === undefined) return;
      const path = join(tempDir(t), `${peer.command}.sock`);
      const server = spawnPeer(t, command, peer.listen(path));
      const serverDone = finished(server);
      await waitForLine(server.stderr!, peer.ready);
      const client = spawnCli(['-U', path]);
      t.after(() => stop(client));
      const clientDone = finished(client);
      const [s, c] = await exchange(
        server,
        client,
        serverDone,
        clientDone,
        'sockcat',
        peer.command,
      );
      assert.equal(c.code, 0, c.stderr);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(c.stdout.toString(), `from ${peer.command}\n`);
      assert.equal(s.stdout.toString(), 'from sockcat\n');
    });
  });
}

test('the socket file ncat -l -U leaves behind is replaced by sockcat -l -U', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (ncat === undefined) return;
  const path = join(tempDir(t), 'left.sock');
  // ncat 7.93 serves one client and exits without removing its socket file.
  const first = spawnPeer(t, ncat, ['-v', '-l', '-U', path]);
  const firstDone = finished(first);
  await waitForLine(first.stderr!, /Listening on /);
  feedStdin(first, '');
  const probe = spawnCli(['-U', path]);
  t.after(() => stop(probe));
  feedStdin(probe, '');
  await Promise.all([firstDone, finished(probe)]);
  assert.ok(lstatSync(path).isSocket(), 'ncat left its socket file');

  const server = spawnCli(['-v', '-l', '-U', path]);
  t.after(() => stop(server));
  const serverDone = finished(server);
  await waitForLine(server.stderr!, /Listening on /);
  const client = spawnPeer(t, ncat, ['-U', path]);
  const clientDone = finished(client);
  feedStdin(client, 'second\n');
  await waitForLine(server.stdout!, /second\n/);
  feedStdin(server, '');
  const [s] = await Promise.all([serverDone, clientDone]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout.toString(), 'second\n');
});
