// A proxy that answers the handshake and sends the destination's first bytes in one segment: the
// bytes that arrive with the reply sit in the handshake's buffers (the socks client's, the HTTP
// reply reader's), not on the descriptor, and must reach stdout first, on the native data path
// (which reads the descriptor) as on the JavaScript one. Both proxy kinds, both paths, both
// dialects' ways of naming a proxy (--proxy, -x).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { finished, spawnCli, stop } from '../helpers/child.js';

/** Sent with the reply, in the same write, then more after it (the descriptor's part). */
const FIRST = Buffer.from('first bytes, in the reply segment\n');
const REST = Buffer.alloc(256 * 1024, 'r');

/**
 * A one-connection proxy speaking just enough SOCKS5 (no auth, CONNECT) or HTTP CONNECT: the
 * success reply and FIRST go out in one write(), REST follows, then FIN. What the client sends
 * before its own FIN is kept for the assertion.
 */
async function scriptedProxy(t: TestContext, kind: 'socks5' | 'http') {
  const sockets = new Set<Socket>();
  let fromClient = Buffer.alloc(0);
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let stage = 0;
    let pending = Buffer.alloc(0);
    const reply =
      kind === 'socks5'
        ? Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0xd2])
        : Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n');
    socket.on('data', (chunk: Buffer) => {
      if (stage === 2) {
        fromClient = Buffer.concat([fromClient, chunk]);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (kind === 'http') {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        fromClient = pending.subarray(end + 4);
        stage = 2;
      } else if (stage === 0) {
        // Greeting: VER NMETHODS METHODS...
        if (pending.length < 2 || pending.length < 2 + pending[1]!) return;
        pending = pending.subarray(2 + pending[1]!);
        stage = 1;
        socket.write(Buffer.from([5, 0]));
        if (pending.length === 0) return;
      }
      if (kind === 'socks5' && stage === 1) {
        // Request: VER CMD RSV ATYP ADDR PORT; a domain name (ATYP 3) has a length byte.
        if (pending.length < 5) return;
        const atyp = pending[3]!;
        const addressLength = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + pending[4]!;
        const length = 4 + addressLength + 2;
        if (pending.length < length) return;
        fromClient = pending.subarray(length);
        stage = 2;
      }
      socket.write(Buffer.concat([reply, FIRST]));
      socket.end(REST);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port: (server.address() as { port: number }).port,
    fromClient: () => fromClient,
  };
}

const CASES = [
  {
    kind: 'socks5',
    args: (port: number) => ['--proxy', `127.0.0.1:${port}`, '--proxy-type', 'socks5'],
  },
  {
    kind: 'http',
    args: (port: number) => ['--proxy', `127.0.0.1:${port}`, '--proxy-type', 'http'],
  },
  { kind: 'socks5', dialect: 'openbsd', args: (port: number) => ['-x', `127.0.0.1:${port}`] },
  {
    kind: 'http',
    dialect: 'openbsd',
    args: (port: number) => ['-X', 'connect', '-x', `127.0.0.1:${port}`],
  },
] as const;

for (const path of ['native', 'JavaScript'] as const) {
  for (const { kind, args, ...rest } of CASES) {
    const dialect = 'dialect' in rest ? rest.dialect : 'ncat';
    test(`${kind} proxy, ${dialect}, ${path} path: the bytes that came with the reply come first`, async (t) => {
      const proxy = await scriptedProxy(t, kind);
      const env = { ...process.env, ...(path === 'JavaScript' ? { SOCKCAT_NO_NATIVE: '1' } : {}) };
      const command =
        dialect === 'openbsd'
          ? [...args(proxy.port), '127.0.0.1', '1234']
          : ['-v', ...args(proxy.port), '127.0.0.1', '1234'];
      const child =
        dialect === 'openbsd'
          ? spawnCli(['--dialect', 'openbsd', ...command], { env })
          : spawnCli(command, { env });
      t.after(() => stop(child));
      const done = finished(child);
      child.stdin!.end('to the destination\n');
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.ok(
        result.stdout.equals(Buffer.concat([FIRST, REST])),
        `stdout: ${result.stdout.length} bytes, starting ${JSON.stringify(result.stdout.subarray(0, 40).toString())}`,
      );
      if (dialect === 'ncat') {
        assert.match(
          result.stderr,
          path === 'native' ? /Data path: native: socket to stdout/ : /Data path: JavaScript/,
        );
      }
    });
  }
}
