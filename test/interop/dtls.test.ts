// sockcat's DTLS (-u --ssl) against real peers: openssl s_server -dtls and s_client -dtls in both
// roles, with verification failures reported in one line, and ncat 7.93's -u --ssl client.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

type Leaf = 'good' | 'expired' | 'wrongName' | 'selfSigned';

/** openssl s_server -dtls on 127.0.0.1 port 0, printing what it receives. */
async function sServer(t: TestContext, openssl: string, certs: TestCertificates, leaf: Leaf) {
  const files = certs.files(leaf);
  const child = spawn(openssl, [
    's_server',
    '-dtls',
    '-accept',
    '127.0.0.1:0',
    '-cert',
    files.cert,
    '-key',
    files.key,
  ]);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stdout!, /ACCEPT \S*:(\d+)/))[1]);
  return { child, port };
}

/** sockcat -v -u -l --ssl ARGS on 127.0.0.1 port 0. */
async function sockcatServer(t: TestContext, args: string[]) {
  const child = spawnCli(['-v', '-u', '-l', '--ssl', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  await waitForLine(child.stdout!, /(?:)/);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return { child, port, done: finished(child) };
}

test('sockcat -u --ssl-verify to openssl s_server -dtls: verified, data both ways, close_notify at stdin EOF', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const server = await sServer(t, openssl, certs, 'good');
  const client = spawnCli([
    '-v',
    '-u',
    '--ssl-verify',
    '--ssl-trustfile',
    certs.files('ca').cert,
    '127.0.0.1',
    String(server.port),
  ]);
  t.after(() => stop(client));
  const fromServer = waitForLine(client.stdout!, /from s_server\n/);
  const done = finished(client);
  client.stdin!.write('from sockcat\n');
  await waitForLine(server.child.stdout!, /from sockcat\n/);
  server.child.stdin!.write('from s_server\n');
  await fromServer;
  client.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /SSL connection to 127\.0\.0\.1:\d+; DTLSv1\.2, cipher /);
  assert.match(result.stderr, /Certificate verified\./);
  // s_server reports the close_notify as the end of the session.
  await waitForLine(server.child.stdout!, /DONE/);
});

test('sockcat -u --ssl-verify to s_server -dtls: expired, wrong name, untrusted fail in one line, exit 1', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const expected: Record<Exclude<Leaf, 'good'>, RegExp> = {
    expired: /failed: certificate expired on \d{4}-\d\d-\d\dT[\d:]+Z$/,
    wrongName:
      /failed: certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)$/,
    selfSigned: /failed: (certificate issuer not trusted|self-signed certificate)$/,
  };
  for (const leaf of ['expired', 'wrongName', 'selfSigned'] as const) {
    const server = await sServer(t, openssl, certs, leaf);
    const result = await runCli(
      [
        '-u',
        '--ssl-verify',
        '--ssl-trustfile',
        certs.files('ca').cert,
        '127.0.0.1',
        String(server.port),
      ],
      'never sent\n',
    );
    assert.equal(result.code, 1, `${leaf}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^sockcat: DTLS handshake with 127\.0\.0\.1:\d+ /);
    assert.match(lines[0]!, expected[leaf]);
  }
});

test('openssl s_client -dtls to sockcat -u -l --ssl: verified against the CA, data both ways', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const files = certs.files('good');
  const server = await sockcatServer(t, ['--ssl-cert', files.cert, '--ssl-key', files.key]);
  const client = spawn(openssl, [
    's_client',
    '-dtls',
    '-connect',
    `127.0.0.1:${server.port}`,
    '-CAfile',
    certs.files('ca').cert,
    '-verify_return_error',
    '-quiet',
  ]);
  t.after(() => stop(client));
  const fromSockcat = waitForLine(client.stdout!, /from sockcat\n/);
  client.stdin!.write('from s_client\n');
  await waitForLine(server.child.stdout!, /from s_client\n/);
  server.child.stdin!.write('from sockcat\n');
  await fromSockcat;
  await waitForLine(server.child.stderr!, /SSL connection from 127\.0\.0\.1:\d+; DTLSv1\.2/);
});

test("openssl s_client -dtls -verify_return_error refuses sockcat's temporary certificate; sockcat reports the failed handshake", async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const server = await sockcatServer(t, []);
  const client = spawn(openssl, [
    's_client',
    '-dtls',
    '-connect',
    `127.0.0.1:${server.port}`,
    '-CAfile',
    certs.files('ca').cert,
    '-verify_return_error',
  ]);
  t.after(() => stop(client));
  const clientDone = finished(client);
  client.stdin!.on('error', () => {});
  const clientResult = await clientDone;
  assert.notEqual(clientResult.code, 0);
  assert.match(clientResult.stdout.toString() + clientResult.stderr, /self.signed certificate/);
  // Without -k a failed handshake ends sockcat, with one line saying why.
  const served = await server.done;
  assert.equal(served.code, 1, served.stderr);
  assert.match(served.stderr, /sockcat: DTLS handshake with 127\.0\.0\.1:\d+ failed: [^\n]+\n$/);
});

test('ncat 7.93 -u --ssl as the client of sockcat -u -l --ssl: data both ways', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const server = await sockcatServer(t, []);
  const client = spawn(ncat, ['-u', '--ssl', '127.0.0.1', String(server.port)]);
  t.after(() => stop(client));
  const fromSockcat = waitForLine(client.stdout!, /from sockcat\n/);
  client.stdin!.write('from ncat\n');
  await waitForLine(server.child.stdout!, /from ncat\n/);
  server.child.stdin!.write('from sockcat\n');
  await fromSockcat;
});
