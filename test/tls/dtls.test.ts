// DTLS in the library: connectUdp(target, { tls }) against a DtlsAcceptor on a UDP socket (the
// cookie exchange, datagrams both ways, close_notify), the verification outcomes as TLS has them
// (untrusted, expired, name, pin), client certificates, and the stateless HelloVerifyRequest.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';
import { connectUdp } from '../../src/dial/connect-udp.js';
import { createDtlsAcceptor, type DtlsServerOptions } from '../../src/tls/dtls-acceptor.js';
import type { DtlsConnection } from '../../src/tls/dtls-connection.js';
import { createDtlsClientContext, requireDtls } from '../../src/tls/dtls-context.js';
import { pinForm } from '../../src/tls/fingerprint.js';
import { makeCertificates } from '../helpers/certificates.js';

/** A DTLS echo server on 127.0.0.1 port 0: each datagram comes back upper-cased. */
async function echoServer(t: TestContext, options: DtlsServerOptions = {}) {
  const acceptor = await createDtlsAcceptor(options);
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const local = { address: '127.0.0.1', port: socket.address().port, family: 4 as const };
  const accepted: DtlsConnection[] = [];
  const failures: Error[] = [];
  acceptor.onConnection = (connection) => {
    accepted.push(connection);
    void (async () => {
      for await (const datagram of connection) {
        await connection.send(datagram.toString().toUpperCase());
      }
      await connection.close();
    })();
  };
  acceptor.onFailure = (error) => failures.push(error);
  socket.on('message', (data, rinfo) => {
    acceptor.receive(data, {
      remote: { address: rinfo.address, port: rinfo.port, family: 4 },
      local,
      reply: (datagram) =>
        new Promise<void>((resolve, reject) =>
          socket.send(datagram, rinfo.port, rinfo.address, (error) =>
            error ? reject(error) : resolve(),
          ),
        ),
    });
  });
  t.after(async () => {
    await acceptor.close();
    socket.close();
  });
  return { acceptor, socket, port: local.port, accepted, failures };
}

test('connectUdp with tls: a handshake, datagrams both ways, close_notify ends the peer', async (t) => {
  const certs = await makeCertificates(t);
  const server = await echoServer(t, { cert: certs.good.cert, key: certs.good.key });
  const client = await connectUdp(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca.cert } });
  t.after(() => client.close());
  assert.equal(client.tls?.protocol, 'DTLSv1.2');
  assert.equal(client.tls?.verified, true);
  assert.equal(client.tls?.fingerprint, certs.good.fingerprint);
  for (const text of ['one', 'two', 'x'.repeat(3000)]) {
    await client.send(text);
    const answers: string[] = [];
    let length = 0;
    while (length < text.length) {
      const datagram = await client.recv();
      assert.ok(datagram);
      answers.push(datagram.toString());
      length += datagram.length;
    }
    assert.equal(answers.join(''), text.toUpperCase());
  }
  await client.close();
  // The server's session saw the close_notify and closed its side: nothing is left.
  const [session] = server.accepted;
  assert.ok(session);
  assert.equal(await session.recv(), undefined);
});

test('verification: untrusted, expired and wrong-name certificates are refused with the reason', async (t) => {
  const certs = await makeCertificates(t);
  const cases = [
    [certs.selfSigned, /certificate issuer not trusted|self-signed certificate/, 'untrusted'],
    [certs.expired, /certificate expired on \d{4}-/, 'expired'],
    [
      certs.wrongName,
      /certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)/,
      'name',
    ],
  ] as const;
  for (const [cert, message, reason] of cases) {
    const server = await echoServer(t, { cert: cert.cert, key: cert.key });
    await assert.rejects(
      connectUdp(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca.cert } }),
      (error: Error & { code?: string; reason?: string }) => {
        assert.equal(error.code, 'SOCKCAT_TLS');
        assert.equal(error.reason, reason);
        assert.match(error.message, /^DTLS handshake with 127\.0\.0\.1:\d+ failed: /);
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('insecure: true accepts any certificate, and a pin decides on its own', async (t) => {
  const certs = await makeCertificates(t);
  const server = await echoServer(t, { cert: certs.selfSigned.cert, key: certs.selfSigned.key });
  const target = `127.0.0.1:${server.port}`;
  const insecure = await connectUdp(target, { tls: { insecure: true } });
  assert.equal(insecure.tls?.verified, false);
  await insecure.close();
  const pinned = await connectUdp(target, {
    tls: { insecure: true, pin: pinForm(certs.selfSigned.fingerprint) },
  });
  assert.equal(pinned.tls?.verified, true);
  await pinned.close();
  await assert.rejects(
    connectUdp(target, { tls: { insecure: true, pin: pinForm(certs.good.fingerprint) } }),
    { code: 'SOCKCAT_TLS', reason: 'pin', message: /certificate does not match the pin/ },
  );
});

test('client certificates: required with requestCert, checked against the CA', async (t) => {
  const certs = await makeCertificates(t);
  const server = await echoServer(t, {
    cert: certs.good.cert,
    key: certs.good.key,
    ca: certs.ca.cert,
    requestCert: true,
  });
  const target = `127.0.0.1:${server.port}`;
  const client = await connectUdp(target, {
    tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key },
  });
  await client.send('mtls');
  assert.equal((await client.recv())?.toString(), 'MTLS');
  assert.equal(server.accepted[0]?.tls?.verified, true);
  await client.close();
  // Without a certificate the server refuses the handshake.
  await assert.rejects(connectUdp(target, { tls: { ca: certs.ca.cert, handshakeTimeout: 5000 } }), {
    code: 'SOCKCAT_TLS',
  });
});

test('cookie exchange: a ClientHello without a cookie gets a small HelloVerifyRequest and no state', async (t) => {
  const server = await echoServer(t);
  // A real ClientHello, taken from a client that will never answer the cookie.
  const sent: Buffer[] = [];
  const spoofer = createSocket('udp4');
  spoofer.bind(0, '127.0.0.1');
  await once(spoofer, 'listening');
  t.after(() => spoofer.close());
  const { requireDtls, createDtlsClientContext } = await import('../../src/tls/dtls-context.js');
  const native = requireDtls();
  const hello = native.dtlsReceive(
    native.dtlsSession(createDtlsClientContext(native, { insecure: true }), { mtu: 1400 }),
    null,
  ).out;
  sent.push(...hello);
  const answer = once(spoofer, 'message');
  spoofer.send(hello[0]!, server.port, '127.0.0.1');
  const [reply] = (await answer) as [Buffer];
  // content type 22 (handshake), message type 3 (hello_verify_request)
  assert.equal(reply[0], 22);
  assert.equal(reply[13], 3);
  assert.ok(reply.length < hello[0]!.length, `${reply.length} >= ${hello[0]!.length}`);
  assert.equal(server.acceptor.size, 0);
  assert.equal(server.acceptor.halfOpen, 0);
});

test('serve({ protocol: "udp", tls }): a handler per peer session, closed when it returns', async (t) => {
  const { serve } = await import('../../src/server/serve.js');
  const server = await serve({
    protocol: 'udp',
    listen: { host: '127.0.0.1', port: 0 },
    tls: true,
    handler: async (connection) => {
      const first = await connection.recv();
      await connection.send(`hello ${first?.toString()}`);
    },
  });
  t.after(() => server.close());
  const clients = await Promise.all(
    ['a', 'b'].map((name) =>
      connectUdp(`127.0.0.1:${server.address().port}`, {
        tls: { insecure: true, pin: pinForm(server.fingerprint) },
      }).then(async (client) => {
        await client.send(name);
        const answer = (await client.recv())?.toString();
        // The handler returned: its session sent close_notify.
        assert.equal(await client.recv(), undefined);
        await client.close();
        return answer;
      }),
    ),
  );
  assert.deepEqual(clients, ['hello a', 'hello b']);
  assert.equal(server.handled, 2);
});

test('client contexts: the same settings share one (the roots load once), others get their own', async (t) => {
  const certs = await makeCertificates(t);
  const native = requireDtls();
  const roots = createDtlsClientContext(native, { insecure: true });
  assert.equal(createDtlsClientContext(native, {}), roots);
  const withCa = createDtlsClientContext(native, { ca: certs.ca.cert });
  assert.notEqual(withCa, roots);
  assert.equal(createDtlsClientContext(native, { ca: Buffer.from(certs.ca.cert) }), withCa);
  assert.notEqual(createDtlsClientContext(native, { ca: certs.selfSigned.cert }), withCa);
  assert.notEqual(createDtlsClientContext(native, { alpn: ['coap'] }), roots);
  assert.notEqual(
    createDtlsClientContext(native, { cert: certs.client.cert, key: certs.client.key }),
    roots,
  );
  // Sessions on a shared context still verify each on its own terms.
  const server = await echoServer(t, { cert: certs.good.cert, key: certs.good.key });
  const trusted = await connectUdp(`127.0.0.1:${server.port}`, {
    tls: { ca: certs.ca.cert, servername: 'localhost' },
  });
  assert.equal(trusted.tls?.verified, true);
  await trusted.close();
  await assert.rejects(
    connectUdp(`127.0.0.1:${server.port}`, {
      tls: { ca: certs.ca.cert, servername: 'other.invalid' },
    }),
    { code: 'SOCKCAT_TLS', reason: 'name' },
  );
});
