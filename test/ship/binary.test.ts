// The one-file binary (npm run build:binary), built into a temp dir with the running Node and run
// from another folder with no node_modules: --version, connect, listen, --ssl with the temporary
// certificate, and the native features with and without the addon beside it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, listen } from '../../src/index.js';
import { finished, stop, waitForLine } from '../helpers/child.js';
import { ROOT } from '../helpers/paths.js';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const skip =
  process.platform !== 'linux' || major < 20 || (major === 20 && minor < 12)
    ? 'single executable applications need Linux and Node >= 20.12'
    : false;

describe('the one-file binary', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-binary-'));
  const built = join(dir, 'build');
  /** A folder with the binary alone: no node_modules, no dist, no addon. */
  const bare = join(dir, 'bare');
  /** The binary with the addon beside it, as build:binary leaves them. */
  const withAddon = join(built, 'sockcat');
  const alone = join(bare, 'sockcat');

  before(async () => {
    const build = await finished(
      spawn(process.execPath, [join(ROOT, 'scripts/build-binary.mjs'), '--out', built], {
        cwd: ROOT,
      }),
    );
    assert.equal(build.code, 0, build.stderr);
    mkdirSync(bare);
    copyFileSync(withAddon, alone);
    chmodSync(alone, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (binary: string, args: string[]) =>
    spawn(binary, args, { cwd: bare, env: { PATH: '/usr/bin:/bin' }, stdio: 'pipe' });

  test('--version, from a folder with nothing else in it', async () => {
    const result = await finished(run(alone, ['--version']));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.toString(),
      `sockcat 0.1.0 (ncat-compatible; Node.js ${process.version})\n`,
    );
    assert.equal(existsSync(join(bare, 'node_modules')), false);
  });

  test('connect and listen move bytes both ways', async (t) => {
    const server = run(alone, ['-v', '-l', '127.0.0.1', '0']);
    t.after(() => stop(server));
    const done = finished(server);
    const port = Number((await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
    const client = run(alone, ['127.0.0.1', String(port)]);
    const clientDone = finished(client);
    client.stdin!.end('from client\n');
    server.stdin!.end('from server\n');
    const [c, s] = await Promise.all([clientDone, done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.stdout.toString(), 'from server\n');
    assert.equal(s.stdout.toString(), 'from client\n');
  });

  test('--ssl with the temporary certificate, against the library', async (t) => {
    const listener = await listen('127.0.0.1:0', { tls: true });
    t.after(() => listener.close());
    const client = run(alone, ['--ssl', '127.0.0.1', String(listener.address().port)]);
    const clientDone = finished(client);
    const tube = await listener.accept();
    client.stdin!.end('over tls\n');
    assert.equal((await tube.recvAll()).toString(), 'over tls\n');
    await tube.close();
    assert.equal((await clientDone).code, 0);
    // And as a TLS server: the library connects to it.
    const server = run(alone, ['-v', '--ssl', '-l', '127.0.0.1', '0']);
    t.after(() => stop(server));
    const done = finished(server);
    const port = Number((await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
    const secure = await connect(`127.0.0.1:${port}`, { tls: { insecure: true } });
    await secure.send('hello');
    await secure.shutdown('send');
    server.stdin!.end();
    assert.equal((await done).stdout.toString(), 'hello');
    await secure.close();
  });

  test('native features: with the addon beside it they work, without it the usual message', async (t) => {
    const missing = await finished(run(alone, ['-U', '-u', '-l', join(bare, 'x.sock')]));
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^sockcat: Unix datagram sockets is not available: put sockcat_native\.node \(built with the binary by `npm run build:binary`\) beside \/.*\/bare\/sockcat\n$/,
    );
    if (!existsSync(join(built, 'sockcat_native.node'))) {
      t.skip('the addon is not built here');
      return;
    }
    const path = join(bare, 'dgram.sock');
    const server = run(withAddon, ['-v', '-U', '-u', '-l', path]);
    t.after(() => stop(server));
    await waitForLine(server.stderr!, new RegExp(`Listening on ${path}`));
    assert.ok(existsSync(path));
  });
});
