// sockcat's TLS against real peers: openssl s_server / s_client and ncat --ssl, both directions,
// with verification failures (expired, wrong name, untrusted). Certificates are made at test time
// (test/helpers/certificates.ts) in a private temporary directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';

type Leaf = 'good' | 'expired' | 'wrongName' | 'selfSigned';

/** sockcat -v -l with --ssl-cert/--ssl-key (or an ephemeral certificate); resolves with its port. */
async function sockcatServer(t: TestContext, args: string[]) {
  const child = spawnCli(['-v', '-l', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  await waitForLine(child.stdout!, /(?:)/);
  const done = finished(child);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return { child, port, done };
}

test('sockcat --ssl-verify --ssl-alpn to openssl s_server: verified, ALPN agreed, data both ways', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const server = await sServerStdout(t, openssl, certs, 'good', ['-alpn', 'echo,h2']);
  const child = spawnCli([
    '-v',
    '--ssl-verify',
    '--ssl-trustfile',
    certs.files('ca').cert,
    '--ssl-alpn',
    'h2',
    '127.0.0.1',
    String(server.port),
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('hello\n');
  await waitForLine(child.stdout!, /olleh\n/);
  child.stdin!.end();
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /SSL connection to 127\.0\.0\.1:\d+; TLSv1\.3, cipher \w+, ALPN h2\./,
  );
  assert.match(result.stderr, /Certificate verified\./);
  assert.doesNotMatch(result.stderr, /warning/);
});

test('sockcat --ssl-verify to openssl s_server: expired, wrong name, untrusted fail with one line, exit 1', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const expected: Record<Exclude<Leaf, 'good'>, RegExp> = {
    expired: /failed: certificate expired on \d{4}-\d\d-\d\dT[\d:]+Z$/,
    wrongName:
      /failed: certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)$/,
    selfSigned: /failed: self-signed certificate$/,
  };
  for (const [leaf, pattern] of Object.entries(expected) as Array<
    [Exclude<Leaf, 'good'>, RegExp]
  >) {
    const server = await sServerStdout(t, openssl, certs, leaf);
    const result = await runCli(
      ['--ssl-verify', '--ssl-trustfile', certs.files('ca').cert, '127.0.0.1', String(server.port)],
      'x\n',
    );
    assert.equal(result.code, 1, `${leaf}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`^sockcat: TLS handshake with 127\\.0\\.0\\.1:${server.port} `),
    );
    assert.match(lines[0]!, pattern);
    await stop(server.child);
  }
});

test('sockcat --ssl-min-version TLSv1.3 to a TLS 1.2-only s_server: handshake refused, exit 1', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const server = await sServerStdout(t, openssl, certs, 'good', ['-tls1_2']);
  const result = await runCli(
    ['--ssl-min-version', 'TLSv1.3', '127.0.0.1', String(server.port)],
    'x',
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^sockcat: TLS handshake with 127\.0\.0\.1:\d+ failed: .+\n$/);
  // And TLS 1.2 itself works, reported as such.
  const ok = spawnCli(['-v', '--ssl', '127.0.0.1', String(server.port)]);
  t.after(() => stop(ok));
  const done = finished(ok);
  ok.stdin!.write('ab\n');
  await waitForLine(ok.stdout!, /ba\n/);
  ok.stdin!.end();
  assert.match((await done).stderr, /TLSv1\.2, cipher ECDHE-ECDSA-/);
});

test('mTLS: sockcat with --ssl-cert/--ssl-key to s_server -Verify; without one it is refused', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const ca = certs.files('ca').cert;
  const server = await sServerStdout(t, openssl, certs, 'good', [
    '-Verify',
    '1',
    '-CAfile',
    ca,
    '-verify_return_error',
  ]);
  const client = certs.files('client');
  const child = spawnCli([
    '--ssl-verify',
    '--ssl-trustfile',
    ca,
    '--ssl-cert',
    client.cert,
    '--ssl-key',
    client.key,
    '127.0.0.1',
    String(server.port),
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin!.write('mtls\n');
  await waitForLine(child.stdout!, /sltm\n/);
  child.stdin!.end();
  assert.equal((await done).code, 0);
});

test('openssl s_client to sockcat --ssl -l: verified by the CA, ALPN, data both ways', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const server = await sockcatServer(t, [
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
    '--ssl-alpn',
    'x,y',
  ]);
  // sockcat's stdin stays open: s_client exits when the server closes, and must read stdin first.
  server.child.stdin!.write('from sockcat\n');
  const client = spawn(openssl, [
    's_client',
    '-connect',
    `127.0.0.1:${server.port}`,
    '-CAfile',
    certs.files('ca').cert,
    '-verify_return_error',
    '-verify_hostname',
    'localhost',
    '-alpn',
    'y',
    '-brief',
  ]);
  t.after(() => stop(client));
  client.stdin.on('error', () => {});
  const clientDone = finished(client);
  await waitForLine(client.stdout!, /from sockcat\n/);
  // s_client sends this, then closes at its stdin EOF; the listener then closes its stdout and
  // goes on until its own stdin ends (docs/eof.md 2l).
  client.stdin!.end('from s_client\n');
  const result = await clientDone;
  server.child.stdin!.end();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Verification: OK/);
  const served = await server.done;
  assert.equal(served.stdout.toString(), 'from s_client\n');
  assert.match(
    served.stderr,
    /SSL connection from 127\.0\.0\.1:\d+; TLSv1\.3, cipher \w+, ALPN y\./,
  );
});

test('openssl s_client with a client certificate to sockcat -l --ssl-verify (mTLS)', async (t) => {
  const openssl = requirePeer(t, 'openssl');
  if (!openssl) return;
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const ca = certs.files('ca').cert;
  const server = await sockcatServer(t, [
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
    '--ssl-verify',
    '--ssl-trustfile',
    ca,
  ]);
  server.child.stdin!.write('hi client\n');
  const client = certs.files('client');
  const s = spawn(openssl, [
    's_client',
    '-connect',
    `127.0.0.1:${server.port}`,
    '-CAfile',
    ca,
    '-cert',
    client.cert,
    '-key',
    client.key,
    '-quiet',
  ]);
  t.after(() => stop(s));
  s.stdin.on('error', () => {});
  const sDone = finished(s);
  await waitForLine(s.stdout!, /hi client\n/);
  // -quiet ignores stdin EOF: s_client leaves when sockcat closes, after its stdin ends.
  s.stdin!.end('hi server\n');
  await waitForLine(server.child.stdout!, /hi server\n/);
  server.child.stdin!.end();
  await sDone;
  const served = await server.done;
  assert.equal(served.stdout.toString(), 'hi server\n');
  assert.match(served.stderr, /client certificate CN=sockcat test client/);
});

test('ncat --ssl to sockcat --ssl -l (ephemeral certificate), and ncat --ssl-verify against the CA', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const certs = await makeCertificates(t);
  const plain = await sockcatServer(t, ['--ssl']);
  // The listener's stdin ends first (its FIN; ncat 7.93 sends its stdin anyway): with stdin open
  // it would go on after the client's EOF (docs/eof.md 2l).
  plain.child.stdin!.end();
  const sent = await runPeer(ncat, ['--ssl', '127.0.0.1', String(plain.port)], 'to sockcat\n');
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((await plain.done).stdout.toString(), 'to sockcat\n');

  for (const [leaf, ok] of [
    ['good', true],
    ['expired', false],
    ['wrongName', false],
  ] as const) {
    const files = certs.files(leaf);
    const server = await sockcatServer(t, ['--ssl-cert', files.cert, '--ssl-key', files.key]);
    server.child.stdin!.end();
    const result = await runPeer(
      ncat,
      ['--ssl-verify', '--ssl-trustfile', certs.files('ca').cert, 'localhost', String(server.port)],
      'x',
    );
    assert.equal(result.code === 0, ok, `${leaf}: ${result.stderr}`);
    await stop(server.child);
  }
});

test('sockcat --ssl to ncat --ssl -l; --ssl-verify passes for the CA and fails for a wrong name', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const certs = await makeCertificates(t);
  const ca = certs.files('ca').cert;
  for (const [leaf, ok] of [
    ['good', true],
    ['wrongName', false],
  ] as const) {
    const files = certs.files(leaf);
    const peer = await startListeningPeer(t, {
      command: ncat,
      args: [
        '-v',
        '-l',
        '--ssl-cert',
        files.cert,
        '--ssl-key',
        files.key,
        '--recv-only',
        '127.0.0.1',
        '0',
      ],
      ready: /Listening on/,
      reportsPort: false,
    });
    const peerDone = finished(peer.child);
    const result = await runCli(
      ['--ssl-verify', '--ssl-trustfile', ca, '127.0.0.1', String(peer.port)],
      `to ncat ${leaf}\n`,
    );
    if (ok) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.equal((await peerDone).stdout.toString(), 'to ncat good\n');
    } else {
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^sockcat: TLS handshake with 127\.0\.0\.1:\d+ failed: certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)\n$/,
      );
      await stop(peer.child);
    }
  }
});

/** `openssl s_server -rev` (answers each line reversed) on a free port; it prints ACCEPT on stdout. */
async function sServerStdout(
  t: TestContext,
  openssl: string,
  certs: TestCertificates,
  leaf: Leaf,
  extra: string[] = [],
) {
  const files = certs.files(leaf);
  const child = spawn(openssl, [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-cert',
    files.cert,
    '-key',
    files.key,
    '-rev',
    ...extra,
  ]);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stdout!, /ACCEPT \S*:(\d+)/))[1]);
  return { child, port };
}

async function runPeer(command: string, args: string[], input: string) {
  const child = spawn(command, args, { stdio: 'pipe' });
  const done = finished(child);
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return done;
}
