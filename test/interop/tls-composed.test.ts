// --ssl composed with every listener: --broker, --chat and the proxy servers run behind the same
// TLS acceptor as -l and -l -k (issue 12: they listened in plaintext and said nothing). Checked
// with openssl s_client and curl as real peers, and mutual TLS (--ssl-verify) is not bypassed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { connect } from '../../src/transports/tcp-connect.js';
import { makeCertificates } from '../helpers/certificates.js';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { BIN } from '../helpers/paths.js';
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

/** How a client's connect to a one-client TLS listener ended: 'refused', 'reset', or what else. */
async function clientOutcome(port: number): Promise<string> {
  let tube: Awaited<ReturnType<typeof connect>>;
  try {
    tube = await connect(`127.0.0.1:${port}`);
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    if (code === 'SOCKCAT_REFUSED') return 'refused';
    // The reset can come before the client's connect callback runs (a loaded machine runs the
    // server's accept and reset first): the connect then fails with it.
    if (code === 'SOCKCAT_CONNECT' && /reset by peer/.test(message)) return 'reset';
    return `connect failed: ${code}: ${message}`;
  }
  try {
    const data = await tube.recvAll({ timeout: 30_000 });
    return `${data.length} bytes, then end of file`;
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    return code === 'SOCKCAT_RESET' ? 'reset' : `receive failed: ${code}: ${message}`;
  } finally {
    tube.destroy();
  }
}

/** sockcat and ncat 7.93 side by side, as `-v -l --ssl` with the test certificate (no -k). */
async function oneClientListeners(t: TestContext) {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return undefined;
  const certs = await makeCertificates(t);
  const { cert, key } = certs.files('good');
  const args = ['-v', '-l', '--ssl', '--ssl-cert', cert, '--ssl-key', key, '127.0.0.1', '0'];
  return [
    {
      name: 'sockcat',
      start: () =>
        startListeningPeer(t, {
          command: process.execPath,
          args: [BIN, ...args],
          ready: /Listening on 127\.0\.0\.1:(\d+)/,
          reportsPort: true,
        }),
    },
    {
      name: 'ncat',
      start: () =>
        startListeningPeer(t, { command: ncat, args, ready: /Listening on/, reportsPort: false }),
    },
  ];
}

// ncat 7.93's one-client rule for -l --ssl without -k: it stops listening as soon as it has
// accepted its client, before the handshake, so a later client is refused; one whose connection
// was already queued on the listener when it closed is reset. sockcat goes on accepting until the
// handshake is over and resets every client that comes meanwhile; once the one client is in, it
// has stopped listening and later clients are refused, as ncat's.
test('-l --ssl without -k: a second client during the one client handshake is reset; a failed handshake ends the run (exit 1), as ncat', async (t) => {
  const tools = await oneClientListeners(t);
  if (!tools) return;
  for (const tool of tools) {
    const { child, port, stderr } = await tool.start();
    const done = finished(child);
    const first = await connect(`127.0.0.1:${port}`);
    t.after(() => first.destroy());
    // The start of a ClientHello's record header: the one client is in its handshake, and has
    // sent its first byte, so the listener's first-byte deadline cannot end its handshake.
    await first.send(Buffer.from([0x16, 0x03, 0x01]));
    const during = await clientOutcome(port);
    const allowed = tool.name === 'ncat' ? ['refused', 'reset'] : ['reset'];
    assert.ok(allowed.includes(during), `${tool.name}, during the handshake: ${during}`);
    // The rest of its record is no TLS: the handshake fails, and the run ends with status 1.
    await first.send('not a TLS client hello\r\n\r\n');
    const result = await done;
    assert.equal(result.code, 1, `${tool.name}: ${stderr()}`);
  }
});

test('-l --ssl without -k: once the one client is in, the next one is refused, as ncat', async (t) => {
  const tools = await oneClientListeners(t);
  if (!tools) return;
  for (const tool of tools) {
    const { child, port, stderr } = await tool.start();
    const done = finished(child);
    const secured = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    secured.on('error', () => {});
    t.after(() => secured.destroy());
    await once(secured, 'secureConnect');
    // The client's side of the handshake may be over before the server's: the tool says when
    // its side is (ncat stopped listening at accept already, before that).
    if (tool.name === 'sockcat') await waitForLine(child.stderr!, /SSL connection from/);
    assert.equal(await clientOutcome(port), 'refused', tool.name);
    secured.end('bye\n');
    child.stdin!.end();
    const result = await done;
    assert.equal(result.code, 0, `${tool.name}: ${stderr()}`);
    assert.equal(result.stdout.toString(), 'bye\n', tool.name);
  }
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
