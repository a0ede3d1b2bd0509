import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
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

test('--proxy-protocol takes v1 or v2 and only connects', () => {
  assert.equal(parseArgs(['--proxy-protocol', '2', 'h', '1']).proxyProtocol, 2);
  assert.throws(() => parseArgs(['--proxy-protocol', 'v3', 'h', '1']), {
    message: 'invalid --proxy-protocol version "v3" (use v1 or v2)',
  });
  assert.throws(() => parseArgs(['-l', '--proxy-protocol', 'v1', '1']), { code: 'SOCKCAT_ARGS' });
});
