// --ssl composed with every listener: --broker, --chat and the proxy servers run behind the same
// TLS acceptor as -l and -l -k (issue 12: they listened in plaintext and said nothing). Checked
// with openssl s_client and curl as real peers, and mutual TLS (--ssl-verify) is not bypassed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { makeCertificates } from '../helpers/certificates.js';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

async function sockcatListener(t: TestContext, args: string[]) {
  const child = spawnCli(['-v', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return { child, port };
}

function sClient(t: TestContext, openssl: string, port: number, ca: string, extra: string[] = []) {
  const client = spawn(openssl, [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-CAfile',
    ca,
    '-verify_return_error',
    '-quiet',
    ...extra,
  ]);
  t.after(() => stop(client));
  client.stdin.on('error', () => {});
  return client;
}

test('--broker --ssl: openssl s_client clients handshake and reach each other inside TLS', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const ca = certs.files('ca').cert;
  const { child, port } = await sockcatListener(t, [
    '--broker',
    '--ssl',
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
  ]);
  const a = sClient(t, openssl, port, ca);
  await waitForLine(child.stderr!, /SSL connection from 127\.0\.0\.1:\d+; TLSv1\.3/);
  const b = sClient(t, openssl, port, ca);
  await waitForLine(child.stderr!, /(?:SSL connection from[\s\S]*){2}/);
  a.stdin.write('hello over tls\n');
  await waitForLine(b.stdout!, /hello over tls\n/);
  child.stdin!.write('from stdin\n');
  await waitForLine(a.stdout!, /from stdin\n/);
  await waitForLine(b.stdout!, /hello over tls\nfrom stdin\n/);
});

test('--chat --ssl-verify: a client with the CA-signed certificate chats; a plaintext or certificate-less client is refused', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const ca = certs.files('ca').cert;
  const { child, port } = await sockcatListener(t, [
    '--chat',
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
    '--ssl-verify',
    '--ssl-trustfile',
    ca,
  ]);
  const client = certs.files('client');
  const a = sClient(t, openssl, port, ca, ['-cert', client.cert, '-key', client.key]);
  await waitForLine(a.stdout!, /<announce> 127\.0\.0\.1 is connected as <user1>\./);
  // A plaintext client: its bytes are a failed handshake, never a chat line.
  const plain = await connect(`127.0.0.1:${port}`);
  t.after(() => plain.destroy());
  await plain.send('plaintext line\n');
  const answer = await plain.recvAll({ timeout: 30_000 }).catch(() => Buffer.alloc(0));
  assert.doesNotMatch(answer.toString('latin1'), /announce/);
  // A TLS client without a certificate is refused: it never joins.
  const anonymous = sClient(t, openssl, port, ca);
  anonymous.stdin.write('anonymous line\n');
  await new Promise((resolve) => anonymous.on('close', resolve));
  a.stdin.write('signed line\n');
  child.stdin!.write('from stdin\n');
  await waitForLine(a.stdout!, /<user0> from stdin\n/);
  const seen = (await waitForLine(a.stdout!, /[\s\S]*/))[0];
  assert.doesNotMatch(seen, /plaintext line|anonymous line|<user[2-9]>/);
});

test('-l --proxy-type http --ssl: curl speaks HTTPS to the proxy (--proxy https://) and reaches the origin', async (t) => {
  const curl = requirePeer(t, 'curl');
  if (!curl) return;
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const origin = createServer((request, response) => {
    response.end(`origin saw ${request.method} ${request.url}\n`);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.after(() => origin.close());
  const originPort = (origin.address() as { port: number }).port;
  const { port } = await sockcatListener(t, [
    '-l',
    '--proxy-type',
    'http',
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
  ]);
  const client = spawn(curl, [
    '--silent',
    '--show-error',
    '--proxy',
    `https://localhost:${port}`,
    '--proxy-cacert',
    certs.files('ca').cert,
    `http://127.0.0.1:${originPort}/through-tls`,
  ]);
  t.after(() => stop(client));
  const out: Buffer[] = [];
  client.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  let err = '';
  client.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const [code] = (await once(client, 'close')) as [number | null];
  assert.equal(code, 0, err);
  assert.equal(Buffer.concat(out).toString(), 'origin saw GET /through-tls\n');
});

test('-l --proxy-type http --ssl: a plaintext proxy request gets no HTTP answer', async (t) => {
  const { port } = await sockcatListener(t, ['-l', '--proxy-type', 'http', '--ssl']);
  const plain = await connect(`127.0.0.1:${port}`);
  t.after(() => plain.destroy());
  await plain.send('GET http://127.0.0.1:9/ HTTP/1.0\r\n\r\n');
  const answer = await plain.recvAll({ timeout: 30_000 }).catch(() => Buffer.alloc(0));
  assert.doesNotMatch(answer.toString('latin1'), /^HTTP\//);
});

test('-l --ssl without -k: once the one client has connected others are reset; a failed handshake ends the run (exit 1), as ncat', async (t) => {
  const { child, port } = await sockcatListener(t, ['-l', '--ssl']);
  const done = finished(child);
  const first = await connect(`127.0.0.1:${port}`);
  t.after(() => first.destroy());
  // The one client sits in its handshake (it sent nothing): the next one is reset at once, so
  // quickly that the reset may already be there when the connect completes (a loaded machine
  // runs the client's connect callback after the server's accept and reset).
  const second = connect(`127.0.0.1:${port}`).then((tube) => {
    t.after(() => tube.destroy());
    return tube.recvAll({ timeout: 30_000 });
  });
  await assert.rejects(second, (error: Error & { code?: string }) => {
    if (error.code === 'SOCKCAT_RESET') return true;
    assert.equal(error.code, 'SOCKCAT_CONNECT');
    assert.match(error.message, /reset by peer/);
    return true;
  });
  // The first one's handshake fails (plaintext): the server ends with status 1.
  await first.send('not a TLS client hello\r\n\r\n');
  const result = await done;
  assert.equal(result.code, 1, result.stderr);
});

for (const [name, args] of [
  ['-l -k --ssl', ['-l', '-k', '--ssl']],
  ['-l -e --ssl', ['-l', '-e', '/bin/echo served', '--ssl']],
] as const) {
  test(`${name}: a client stuck in a half-finished handshake does not stall the next one`, async (t) => {
    const openssl = requirePeer(t, 'openssl');
    if (!openssl) return;
    const { child, port } = await sockcatListener(t, [...args]);
    const stuck = await connect(`127.0.0.1:${port}`);
    t.after(() => stuck.destroy());
    await stuck.send(Buffer.from([0x16, 0x03, 0x01]));
    const client = spawn(openssl, ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet']);
    t.after(() => stop(client));
    client.stdin.on('error', () => {});
    if (name === '-l -k --ssl') {
      // Stdin goes to the clients connected when it is read: wait for the handshake first.
      await waitForLine(child.stderr!, /SSL connection from/);
      child.stdin!.write('served\n');
    }
    await waitForLine(client.stdout!, /served\n/);
  });
}
