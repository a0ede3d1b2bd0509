// HAProxy (Debian's haproxy) on loopback, both ways round the PROXY protocol:
// - in front of serve({ proxyProtocol: true }) with send-proxy / send-proxy-v2: the handler sees
//   the real client's address and port, not HAProxy's;
// - behind `sockcat --proxy-protocol v1|v2`, with accept-proxy: HAProxy's log shows the address
//   sockcat claimed (the client side of its connection, as its --json connected event says).
// HAProxy listens on a socket this test binds to port 0 and hands over as fd 3 (`bind fd@3`),
// so that no port is guessed.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { serve } from '../../src/server/serve.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { runCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';
import { proxyAwareEcho } from '../helpers/proxy-aware-echo.js';

/** HAProxy running `config` (its frontend binds fd@3), and the port of that socket. */
async function startHaproxy(t: TestContext, haproxy: string, config: string) {
  const native = loadNative();
  assert.ok(native, 'the native addon binds the socket HAProxy inherits');
  const { AF_INET, SOCK_STREAM } = native.constants;
  const fd = native.socket(AF_INET, SOCK_STREAM, 0);
  native.bind(fd, { address: '127.0.0.1', port: 0 });
  native.listen(fd, 64);
  const { port } = native.getsockname(fd) as { port: number };
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-haproxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    `global
  log stdout format raw local0
defaults
  mode tcp
  log global
  timeout connect 10s
  timeout client 60s
  timeout server 60s
${config}
`,
  );
  const child: ChildProcess = spawn(haproxy, ['-db', '-f', file], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
  });
  native.close(fd);
  t.after(() => stop(child));
  return { child, port };
}

/** A client of HAProxy: the socket already listens, so the kernel queues it until HAProxy accepts. */
async function connectWhenUp(port: number) {
  return connect(`127.0.0.1:${port}`, { timeout: 10_000 });
}

for (const [option, version] of [
  ['send-proxy', 1],
  ['send-proxy-v2', 2],
] as const) {
  test(`HAProxy ${option} in front of serve({ proxyProtocol: true }): the handler sees the client`, async (t) => {
    const haproxy = requirePeer(t, 'haproxy');
    if (!haproxy) return;
    const { server, seen } = await proxyAwareEcho(t);
    const { port } = await startHaproxy(
      t,
      haproxy,
      `frontend front
  bind fd@3
  default_backend back
backend back
  server s1 127.0.0.1:${server.address().port} ${option}`,
    );
    const tube = await connectWhenUp(port);
    await tube.send('through haproxy');
    await tube.shutdown('send');
    assert.equal((await tube.recvAll()).toString(), 'through haproxy');
    await tube.close();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.proxy?.version, version);
    assert.deepEqual(
      { address: seen[0]!.remote.address, port: seen[0]!.remote.port },
      { address: tube.local!.address, port: tube.local!.port },
    );
    assert.equal(seen[0]!.local.port, port, 'the address the client connected to');
  });
}

for (const version of [1, 2] as const) {
  test(`sockcat --proxy-protocol v${version} to HAProxy accept-proxy: its log shows the claimed address`, async (t) => {
    const haproxy = requirePeer(t, 'haproxy');
    if (!haproxy) return;
    const echo = await serve({
      listen: '127.0.0.1:0',
      handler: async (tube) => {
        await tube.send(await tube.recvAll());
      },
    });
    t.after(() => echo.close());
    const { child, port } = await startHaproxy(
      t,
      haproxy,
      `frontend front
  bind fd@3 accept-proxy
  log-format "claimed %ci:%cp"
  default_backend back
backend back
  server s1 127.0.0.1:${echo.address().port}`,
    );
    const result = await runCli(
      ['--json', '--proxy-protocol', `v${version}`, '127.0.0.1', String(port)],
      'via sockcat',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), 'via sockcat');
    const connected = result.stderr
      .split('\n')
      .filter(Boolean)
      .map(
        (line) => JSON.parse(line) as { event: string; local?: { address: string; port: number } },
      )
      .find((event) => event.event === 'connected');
    assert.ok(connected?.local, result.stderr);
    const logged = await waitForLine(child.stdout!, /claimed (\S+):(\d+)\n/);
    assert.deepEqual(
      { address: logged[1], port: Number(logged[2]) },
      { address: connected.local.address, port: connected.local.port },
    );
  });
}
