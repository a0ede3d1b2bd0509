import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { createHttpProxyHandler } from '../../src/proxy/http-proxy-server.js';
import { createSocks5Handler } from '../../src/proxy/socks5-server.js';
import { serve } from '../../src/server/serve.js';
import type { ConnectionInfo } from '../../src/server/types.js';
import { runCli } from '../helpers/child.js';

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

for (const proxyType of ['socks5', 'http'] as const) {
  test(`--proxy-protocol v1 through a ${proxyType} proxy names HOST PORT as the destination, not the proxy`, async (t) => {
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
    const proxy = await serve({
      listen: '127.0.0.1:0',
      handler: proxyType === 'socks5' ? createSocks5Handler() : createHttpProxyHandler(),
    });
    t.after(() => proxy.close({ gracePeriod: 0 }));
    const port = server.address().port;
    const { code, stdout } = await runCli(
      [
        '--proxy-protocol',
        'v1',
        '--proxy',
        `${proxyType}://127.0.0.1:${proxy.address().port}`,
        'localhost',
        String(port),
      ],
      'through',
    );
    assert.equal(code, 0);
    assert.equal(stdout.toString(), 'through');
    assert.equal(seen[0]?.proxy?.version, 1);
    assert.equal(seen[0]?.local.port, port, 'the destination port is PORT');
    assert.equal(seen[0]?.local.address, '127.0.0.1', 'localhost, resolved');
  });
}

test('--proxy-protocol takes v1 or v2 and only connects', () => {
  assert.equal(parseArgs(['--proxy-protocol', '2', 'h', '1']).proxyProtocol, 2);
  assert.throws(() => parseArgs(['--proxy-protocol', 'v3', 'h', '1']), {
    message: 'invalid --proxy-protocol version "v3" (use v1 or v2)',
  });
  assert.throws(() => parseArgs(['-l', '--proxy-protocol', 'v1', '1']), { code: 'SOCKCAT_ARGS' });
});
