import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { serve } from '../../src/server/serve.js';
import type { ConnectionInfo } from '../../src/server/types.js';
import { runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';

for (const version of [1, 2] as const) {
  test(`--proxy-protocol v${version} announces the connection to a PROXY-aware server`, async (t) => {
    const seen: ConnectionInfo[] = [];
    const server = await serve({
      listen: '127.0.0.1:0',
      proxyProtocol: true,
      handler: async (tube, info) => {
        seen.push(info);
        await tube.send(await tube.recvAll());
      },
    });
    t.after(() => server.close());
    const { code, stdout } = await runCli(
      ['--proxy-protocol', `v${version}`, '127.0.0.1', String(server.address().port)],
      'data after the header',
    );
    assert.equal(code, 0);
    assert.equal(stdout.toString(), 'data after the header');
    assert.equal(seen[0]?.proxy?.version, version);
    assert.equal(seen[0]?.remote.address, '127.0.0.1');
    assert.equal(seen[0]?.local.port, server.address().port);
  });
}

test('--proxy-protocol takes v1 or v2 and only connects', () => {
  assert.equal(parseArgs(['--proxy-protocol', '2', 'h', '1']).proxyProtocol, 2);
  assert.throws(() => parseArgs(['--proxy-protocol', 'v3', 'h', '1']), {
    message: 'invalid --proxy-protocol version "v3" (use v1 or v2)',
  });
  assert.throws(() => parseArgs(['-l', '--proxy-protocol', 'v1', '1']), { code: 'SOCKCAT_ARGS' });
});

test('--proxy-protocol v1 through --proxy socks5: the header names HOST PORT, not the proxy', async (t) => {
  const seen: ConnectionInfo[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    proxyProtocol: true,
    handler: async (tube, info) => {
      seen.push(info);
      await tube.send(await tube.recvAll());
    },
  });
  t.after(() => server.close());
  const proxy = spawnCli(['-lv', '--proxy-type', 'socks5', '127.0.0.1', '0']);
  t.after(() => stop(proxy));
  const proxyPort = (await waitForLine(proxy.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1];
  const originPort = server.address().port;
  const { code, stdout, stderr } = await runCli(
    [
      '--proxy-protocol',
      'v1',
      '--proxy',
      `socks5://127.0.0.1:${proxyPort}`,
      '127.0.0.1',
      String(originPort),
    ],
    'data after the header',
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout.toString(), 'data after the header');
  assert.equal(seen[0]?.proxy?.protocol, 'tcp4');
  assert.deepEqual(seen[0]?.proxy?.destination, { address: '127.0.0.1', port: originPort });
});
