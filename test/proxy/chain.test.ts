// The proxy client against fake proxies on loopback: the bytes sockcat sends (the same as
// ncat 7.93 sends, captured from it), 407 answered with Digest or Basic, bytes that arrive with the
// proxy's reply, and --proxy-dns.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { parseChallenges } from '../../src/proxy/auth-challenge.js';
import { digestAuthorization } from '../../src/proxy/digest.js';
import type { ProxyHop } from '../../src/proxy/proxy-spec.js';

/**
 * A fake proxy: `script` gets each connection's socket and the bytes received so far whenever
 * more arrive, and returns true once it has answered (it stops being called then).
 */
async function fakeProxy(
  t: TestContext,
  script: (socket: Socket, received: Buffer, index: number) => boolean,
): Promise<{ port: number; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const index = requests.length;
    requests.push(Buffer.alloc(0));
    sockets.add(socket);
    socket.on('error', () => {});
    let done = false;
    socket.on('data', (chunk: Buffer) => {
      requests[index] = Buffer.concat([requests[index]!, chunk]);
      if (!done) done = script(socket, requests[index]!, index);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, requests };
}

const hop = (type: ProxyHop['type'], port: number, auth?: ProxyHop['auth']): ProxyHop => ({
  type,
  host: '127.0.0.1',
  port,
  ...(auth ? { auth } : {}),
});

test("HTTP CONNECT: ncat's request bytes; a banner sent with the 200 reaches the tube", async (t) => {
  const proxy = await fakeProxy(t, (socket, received) => {
    if (!received.includes('\r\n\r\n')) return false;
    socket.write('HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-banner\r\n');
    return true;
  });
  const tube = await connect({ host: 'localhost', port: 80 }, { proxy: hop('http', proxy.port) });
  t.after(() => tube.destroy());
  assert.equal(proxy.requests[0]!.toString(), 'CONNECT localhost:80 HTTP/1.0\r\n\r\n');
  assert.equal((await tube.recvLine()).toString(), 'SSH-2.0-banner\r\n');
});

test('SOCKS4a and SOCKS4 bytes as ncat sends them (user id, remote and local DNS)', async (t) => {
  const granted = Buffer.from([0, 0x5a, 0, 0, 0, 0, 0, 0]);
  const proxy = await fakeProxy(t, (socket, received) => {
    if (received.length < 9 || received[received.length - 1] !== 0) return false;
    // 4a carries the name after the user id: wait for its NUL too.
    if (received[4] === 0 && received.indexOf(0, 8) === received.length - 1) return false;
    socket.write(granted);
    return true;
  });
  const remote = await connect(
    { host: 'localhost', port: 80 },
    { proxy: hop('socks4', proxy.port, { username: 'joe', password: '' }) },
  );
  remote.destroy();
  assert.deepEqual(
    proxy.requests[0],
    Buffer.from('\x04\x01\x00P\x00\x00\x00\x01joe\x00localhost\x00', 'latin1'),
  );
  const local = await connect(
    { host: 'localhost', port: 80 },
    {
      proxy: hop('socks4', proxy.port),
      proxyDns: 'local',
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    },
  );
  local.destroy();
  assert.deepEqual(proxy.requests[1], Buffer.from('\x04\x01\x00P\x7f\x00\x00\x01\x00', 'latin1'));
});

test('SOCKS5: a banner sent in the same write as the reply reaches the tube', async (t) => {
  const proxy = await fakeProxy(t, (socket, received) => {
    if (received.length === 3) {
      socket.write(Buffer.from([5, 0]));
      return false;
    }
    if (received.length < 3 + 7) return false;
    socket.write(
      Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]), Buffer.from('hi\n')]),
    );
    return true;
  });
  const tube = await connect(
    { host: 'example.test', port: 80 },
    { proxy: hop('socks5', proxy.port) },
  );
  t.after(() => tube.destroy());
  assert.equal((await tube.recvLine()).toString(), 'hi\n');
  // Greeting offers no-auth only; the name travels as a domain (remote DNS, the default).
  assert.deepEqual(proxy.requests[0]!.subarray(0, 3), Buffer.from([5, 1, 0]));
  assert.equal(proxy.requests[0]!.subarray(3, 8).toString('latin1'), '\x05\x01\x00\x03\x0c');
});

test('407 with a Digest challenge: asked again on a new connection with the Digest answer', async (t) => {
  const challenge = 'Digest realm="Ncat", nonce="1795.5-8d", qop="auth"';
  const proxy = await fakeProxy(t, (socket, received, index) => {
    if (!received.includes('\r\n\r\n')) return false;
    socket.end(
      index === 0
        ? `HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="Ncat"\r\nProxy-Authenticate: ${challenge}\r\n\r\n`
        : 'HTTP/1.0 200 OK\r\n\r\n',
    );
    return true;
  });
  const auth = { username: 'joe', password: 'pw' };
  const tube = await connect(
    { host: 'h.test', port: 22 },
    { proxy: hop('http', proxy.port, auth) },
  );
  tube.destroy();
  assert.equal(proxy.requests.length, 2);
  assert.equal(proxy.requests[0]!.toString(), 'CONNECT h.test:22 HTTP/1.0\r\n\r\n');
  const second = proxy.requests[1]!.toString();
  const cnonce = /cnonce="([0-9a-f]+)"/.exec(second)?.[1];
  const expected = digestAuthorization(
    parseChallenges([challenge])[0]!,
    auth,
    'CONNECT',
    'h.test:22',
    cnonce,
  );
  assert.equal(second, `CONNECT h.test:22 HTTP/1.0\r\nProxy-Authorization: ${expected}\r\n\r\n`);
});

test('407 with Basic only: Basic credentials; a scheme sockcat lacks is named', async (t) => {
  const basic = await fakeProxy(t, (socket, received, index) => {
    if (!received.includes('\r\n\r\n')) return false;
    socket.end(
      index === 0
        ? 'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n'
        : 'HTTP/1.0 200 OK\r\n\r\n',
    );
    return true;
  });
  const tube = await connect(
    { host: 'h.test', port: 22 },
    { proxy: hop('http', basic.port, { username: 'joe', password: 'pw' }) },
  );
  tube.destroy();
  assert.equal(
    basic.requests[1]!.toString(),
    'CONNECT h.test:22 HTTP/1.0\r\nProxy-Authorization: Basic am9lOnB3\r\n\r\n',
  );
  const ntlm = await fakeProxy(t, (socket, received) => {
    if (!received.includes('\r\n\r\n')) return false;
    socket.end('HTTP/1.0 407 Auth\r\nProxy-Authenticate: NTLM\r\n\r\n');
    return true;
  });
  await assert.rejects(
    connect(
      { host: 'h.test', port: 22 },
      { proxy: hop('http', ntlm.port, { username: 'a', password: 'b' }) },
    ),
    {
      code: 'SOCKCAT_PROXY',
      message: `proxy 127.0.0.1:${ntlm.port} asks for authentication schemes sockcat does not speak (ntlm)`,
    },
  );
});

test('--proxy-dns both falls back to the name when it does not resolve here', async (t) => {
  const proxy = await fakeProxy(t, (socket, received) => {
    if (!received.includes('\r\n\r\n')) return false;
    socket.write('HTTP/1.0 200 OK\r\n\r\n');
    return true;
  });
  const lookup = async (host: string) => {
    if (host === 'known.test') return [{ address: '192.0.2.7', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  for (const host of ['known.test', 'unknown.test']) {
    const tube = await connect(
      { host, port: 80 },
      { proxy: hop('http', proxy.port), proxyDns: 'both', lookup },
    );
    tube.destroy();
  }
  assert.equal(proxy.requests[0]!.toString(), 'CONNECT 192.0.2.7:80 HTTP/1.0\r\n\r\n');
  assert.equal(proxy.requests[1]!.toString(), 'CONNECT unknown.test:80 HTTP/1.0\r\n\r\n');
  await assert.rejects(
    connect(
      { host: 'unknown.test', port: 80 },
      { proxy: hop('http', proxy.port), proxyDns: 'local', lookup },
    ),
    { code: 'SOCKCAT_RESOLVE' },
  );
});

test('SOCKS4 cannot carry an IPv6 destination: refused before any byte', async () => {
  await assert.rejects(connect({ host: '::1', port: 80 }, { proxy: hop('socks4', 1) }), {
    code: 'SOCKCAT_PROXY',
    message:
      'proxy 127.0.0.1:1 is SOCKS4, which cannot carry the IPv6 destination ::1 (use socks5 or http)',
  });
});
