// --allow / --deny / --allowfile / --denyfile on a listening sockcat, with loopback sources
// 127.0.0.x (every 127/8 address is local on Linux).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';

async function listening(args: string[]) {
  const child = spawnCli(['-lv', ...args, '127.0.0.1', '0']);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

const from = (localAddress: string, port: number) => connect(`127.0.0.1:${port}`, { localAddress });

/** A refused client is reset: during the handshake as sockcat saw it, or on the first read. */
async function assertRefused(localAddress: string, port: number): Promise<void> {
  let tube: Awaited<ReturnType<typeof from>>;
  try {
    tube = await from(localAddress, port);
  } catch (error) {
    assert.match(String((error as Error).message), /Connection reset by peer/);
    return;
  }
  await assert.rejects(tube.recvAll(), { code: 'SOCKCAT_RESET' });
  tube.destroy();
}

test('--allow: other clients are reset, the allowed one is served', async (t) => {
  const { child, port } = await listening(['--allow', '127.0.0.2']);
  t.after(() => stop(child));
  await assertRefused('127.0.0.1', port);
  await waitForLine(child.stderr!, /New connection denied: not allowed \(127\.0\.0\.1:\d+\)/);
  const allowed = await from('127.0.0.2', port);
  await waitForLine(child.stderr!, /Connection from 127\.0\.0\.2:\d+\./);
  const result = finished(child);
  await allowed.send('hi');
  await allowed.shutdown('send');
  child.stdin!.end();
  assert.equal((await result).stdout.toString(), 'hi');
  allowed.destroy();
});

test('-k with --deny and -m 1: denied clients take no slot', async (t) => {
  const { child, port } = await listening(['-k', '-m', '1', '--deny', '127.0.0.3']);
  t.after(() => stop(child));
  for (let i = 0; i < 5; i++) {
    await assertRefused('127.0.0.3', port);
  }
  const allowed = await from('127.0.0.1', port);
  await allowed.sendLine('served');
  await waitForLine(child.stdout!, /served\n/);
  allowed.destroy();
});

test('--allowfile and --denyfile: deny wins, as in ncat 7.93', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const allowFile = join(dir, 'allow');
  const denyFile = join(dir, 'deny');
  writeFileSync(allowFile, '127.0.0.0/29\n');
  writeFileSync(denyFile, '127.0.0.5\n');
  const { child, port } = await listening(['-k', '--allowfile', allowFile, '--denyfile', denyFile]);
  t.after(() => stop(child));
  await assertRefused('127.0.0.5', port);
  await assertRefused('127.0.0.9', port);
  const ok = await from('127.0.0.6', port);
  await ok.sendLine('six');
  await waitForLine(child.stdout!, /six\n/);
  ok.destroy();
});

test('a bad host spec or a missing file fails before listening (exit 2)', async () => {
  const bad = await runCli(['-l', '--allow', '300.1.1.1', '127.0.0.1', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid host specification "300\.1\.1\.1": octet 300 is out of range/);
  const missing = await runCli(['-l', '--denyfile', '/nonexistent/deny', '127.0.0.1', '0']);
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr,
    'sockcat: cannot read --denyfile file "/nonexistent/deny": No such file or directory\n',
  );
});
