// TLS through the library: connect()/listen()/serve() with `tls`, on loopback port 0.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { serve } from '../../src/server/serve.js';
import { upgradeClient } from '../../src/tls/client.js';
import { pinForm } from '../../src/tls/fingerprint.js';
import type { TlsServerOptions } from '../../src/tls/options.js';
import { type Listener, listen } from '../../src/transports/tcp-listen.js';
import { makeCertificates } from '../helpers/certificates.js';

async function tlsListener(t: TestContext, tls: TlsServerOptions | true, errors: Error[] = []) {
  const listener = await listen('127.0.0.1:0', { tls, onTlsError: (error) => errors.push(error) });
  t.after(() => listener.close());
  return listener;
}

function target(listener: Listener) {
  return { host: '127.0.0.1', port: listener.address().port };
}

test('an ephemeral certificate, ALPN on both sides, tube.tls on both ends, data both ways', async (t) => {
  const listener = await tlsListener(t, { alpn: ['h2', 'echo'] });
  assert.equal(listener.tls?.ephemeral, true);
  const accepted = listener.accept();
  const client = await connect(target(listener), { tls: { insecure: true, alpn: ['echo'] } });
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  assert.equal(client.tls?.alpn, 'echo');
  assert.equal(server.tls?.alpn, 'echo');
  assert.equal(client.tls?.protocol, 'TLSv1.3');
  assert.equal(client.tls?.fingerprint, listener.tls?.fingerprint);
  assert.equal(client.tls?.verified, false);
  assert.equal(client.tls?.verifyError, 'self-signed certificate');
  assert.equal(server.tls?.fingerprint, undefined, 'no client certificate was asked for');
  await client.sendLine('ping');
  assert.equal((await server.recvLine()).toString(), 'ping\n');
  // Half-close over TLS: the client's end reaches the server, which can still answer.
  await client.shutdown('send');
  assert.equal((await server.recvAll()).length, 0);
  await server.send('pong');
  await server.shutdown('send');
  assert.equal((await client.recvAll()).toString(), 'pong');
});

test('verification is on by default: a self-signed server is refused as untrusted', async (t) => {
  const listener = await tlsListener(t, true);
  await assert.rejects(connect(target(listener), { tls: true }), {
    code: 'SOCKCAT_TLS',
    reason: 'untrusted',
    op: 'handshake',
    message: `TLS handshake with 127.0.0.1:${listener.address().port} failed: self-signed certificate`,
  });
});

test('a certificate from a trusted CA passes; expired, wrong name and unknown CA fail with their reason', async (t) => {
  const certs = await makeCertificates(t);
  const cases = [
    { leaf: certs.good, ok: true },
    { leaf: certs.expired, reason: 'expired', text: /certificate expired on \d{4}-\d\d-\d\dT/ },
    {
      leaf: certs.wrongName,
      reason: 'name',
      text: /certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)/,
    },
    { leaf: certs.selfSigned, reason: 'untrusted', text: /self-signed certificate$/ },
  ] as const;
  for (const item of cases) {
    const listener = await tlsListener(t, { cert: item.leaf.cert, key: item.leaf.key });
    const attempt = connect(target(listener), { tls: { ca: certs.ca.cert } });
    if ('ok' in item) {
      const tube = await attempt;
      assert.equal(tube.tls?.verified, true);
      assert.equal(tube.tls?.verifyError, undefined);
      tube.destroy();
    } else {
      await assert.rejects(attempt, (error: Error & { reason?: string }) => {
        assert.equal(error.reason, item.reason);
        assert.match(error.message, item.text);
        return true;
      });
    }
  }
});

test('servername: sent as SNI and checked instead of the host', async (t) => {
  const certs = await makeCertificates(t);
  const listener = await tlsListener(t, { cert: certs.wrongName.cert, key: certs.wrongName.key });
  const accepted = listener.accept();
  const tube = await connect(target(listener), {
    tls: { ca: certs.ca.cert, servername: 'example.invalid' },
  });
  const server = await accepted;
  assert.equal(tube.tls?.verified, true);
  assert.equal(server.tls?.servername, 'example.invalid');
  tube.destroy();
  server.destroy();
});

test('pin: the exact certificate is accepted, any other refused', async (t) => {
  const listener = await tlsListener(t, true);
  const fingerprint = listener.tls!.fingerprint;
  const tube = await connect(target(listener), {
    tls: { insecure: true, pin: pinForm(fingerprint) },
  });
  assert.equal(tube.tls?.verified, true);
  tube.destroy();
  await assert.rejects(
    connect(target(listener), { tls: { insecure: true, pin: `sha256:${'00'.repeat(32)}` } }),
    {
      code: 'SOCKCAT_TLS',
      reason: 'pin',
      message: `TLS handshake with 127.0.0.1:${listener.address().port} failed: certificate does not match the pin (its fingerprint is ${pinForm(fingerprint)})`,
    },
  );
  // Without insecure, the pin comes on top of chain verification.
  await assert.rejects(connect(target(listener), { tls: { pin: pinForm(fingerprint) } }), {
    reason: 'untrusted',
  });
});

test('mTLS: a client certificate from the CA is required and verified', async (t) => {
  const certs = await makeCertificates(t);
  const errors: Error[] = [];
  const listener = await tlsListener(
    t,
    { cert: certs.good.cert, key: certs.good.key, ca: certs.ca.cert, requestCert: true },
    errors,
  );
  const accepted = listener.accept();
  const client = await connect(target(listener), {
    tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key },
  });
  const server = await accepted;
  assert.equal(server.tls?.verified, true);
  assert.equal(server.tls?.subject, 'CN=sockcat test client');
  assert.equal(server.tls?.fingerprint, certs.client.fingerprint);
  client.destroy();
  server.destroy();

  // Without a certificate: TLS 1.3 finishes the client's side first, then the server drops it.
  const bare = await connect(target(listener), { tls: { ca: certs.ca.cert } });
  await assert.rejects(bare.recv(), { code: /SOCKCAT_(EOF|RESET)/ });
  bare.destroy();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /^TLS client 127\.0\.0\.1:\d+ refused: no client certificate$/);
  assert.equal(listener.pending, 0);
});

test('a server that does not speak TLS: one clear line', async (t) => {
  const plain = createServer((socket) => socket.end('SSH-2.0-OpenSSH\r\n'));
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  t.after(() => plain.close());
  const port = (plain.address() as { port: number }).port;
  await assert.rejects(connect({ host: '127.0.0.1', port }, { tls: true }), {
    code: 'SOCKCAT_TLS',
    reason: 'handshake',
    message: new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${port} failed: `),
  });
});

test('a server that never answers the handshake: TimeoutError after handshakeTimeout', async (t) => {
  const silent = createServer(() => {});
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => {
    silent.close();
  });
  const sockets: import('node:net').Socket[] = [];
  silent.on('connection', (socket) => sockets.push(socket));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  const port = (silent.address() as { port: number }).port;
  await assert.rejects(connect({ host: '127.0.0.1', port }, { tls: { handshakeTimeout: 50 } }), {
    code: 'SOCKCAT_TIMEOUT',
    message: `TLS handshake with 127.0.0.1:${port} timed out after 50ms`,
  });
});

test('upgradeClient works over any duplex, not only a socket (a proxy tunnel)', async (t) => {
  const listener = await tlsListener(t, true);
  const accepted = listener.accept();
  const raw = netConnect(listener.address().port, '127.0.0.1');
  await once(raw, 'connect');
  // A plain Duplex in front of the socket, as a tunnel through a proxy would be.
  const tunnel = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end(callback);
    },
    destroy(error, callback) {
      raw.destroy();
      callback(error);
    },
  });
  raw.on('data', (chunk) => tunnel.push(chunk));
  raw.on('end', () => tunnel.push(null));
  const { socket, info } = await upgradeClient(tunnel, {
    host: '127.0.0.1',
    insecure: true,
    pin: pinForm(listener.tls!.fingerprint),
  });
  const server = await accepted;
  assert.equal(info.verified, true);
  socket.write('through the tunnel\n');
  assert.equal((await server.recvLine()).toString(), 'through the tunnel\n');
  socket.destroy();
  server.destroy();
});

test('TLS over a Unix socket', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-tls-unix-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 's');
  const listener = await listen({ path }, { tls: true });
  t.after(() => listener.close());
  const accepted = listener.accept();
  const client = await connect({ path }, { tls: { insecure: true } });
  const server = await accepted;
  assert.equal(client.tls?.fingerprint, listener.tls?.fingerprint);
  await server.sendLine('over unix');
  assert.equal((await client.recvLine()).toString(), 'over unix\n');
  client.destroy();
  server.destroy();
});

test('serve() with tls: the handler sees tube.tls; failed handshakes go to onTlsError', async (t) => {
  const failures: Error[] = [];
  const server = await serve({
    listen: '127.0.0.1:0',
    tls: { alpn: ['x'] },
    onTlsError: (error) => failures.push(error),
    handler: async (tube) => {
      await tube.sendLine(`${tube.tls?.protocol} ${tube.tls?.alpn}`);
    },
  });
  t.after(() => server.close({ gracePeriod: 0 }));
  const port = server.address().port;
  const tube = await connect(
    { host: '127.0.0.1', port },
    {
      tls: { insecure: true, alpn: ['x'] },
    },
  );
  assert.equal((await tube.recvLine()).toString(), 'TLSv1.3 x\n');
  assert.equal(tube.tls?.fingerprint, server.tls?.fingerprint);
  tube.destroy();
  // A plain client: its "handshake" fails and is reported once.
  const plain = await connect({ host: '127.0.0.1', port });
  await plain.sendLine('GET / HTTP/1.0');
  await plain.recvAll().catch(() => {});
  plain.destroy();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /^TLS handshake with 127\.0\.0\.1:\d+ failed: /);
});

test('a client that leaves during the handshake is reported and holds no slot', async (t) => {
  let reported!: (error: Error) => void;
  const failure = new Promise<Error>((resolve) => {
    reported = resolve;
  });
  const listener = await listen('127.0.0.1:0', {
    tls: true,
    onTlsError: (error) => reported(error),
  });
  t.after(() => listener.close());
  // Connect, then FIN at once: the listener is half-open capable, so this is 'end', not 'close'.
  const raw = netConnect(listener.address().port, '127.0.0.1');
  await once(raw, 'connect');
  raw.end();
  const error = await failure;
  raw.destroy();
  assert.match(
    error.message,
    /^TLS handshake with 127\.0\.0\.1:\d+ failed: the connection closed during the handshake$/,
  );
  assert.equal(listener.pending, 0);
});

test('serve(): tls with threads, processes or proxyProtocol is refused before listening', async () => {
  await assert.rejects(
    serve({ listen: '127.0.0.1:0', tls: true, proxyProtocol: true, handler: () => {} }),
    { code: 'SOCKCAT_ARGS', message: 'proxyProtocol cannot be used with tls yet' },
  );
  await assert.rejects(
    serve({ listen: '127.0.0.1:0', tls: true, concurrency: { threads: 2 }, handler: 'x.js' }),
    {
      code: 'SOCKCAT_ARGS',
      message: 'tls runs inline only for now; it cannot be used with { threads: n }',
    },
  );
});
