// sockcat --ssl against sockcat --ssl -l (and -l -k): ALPN, pins, verification, mTLS, key log.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { pinForm } from '../../src/tls/fingerprint.js';
import { makeCertificates } from '../helpers/certificates.js';
import {
  connectedOrClosed,
  finished,
  runCli,
  spawnCli,
  stop,
  waitForLine,
} from '../helpers/child.js';

const FINGERPRINT = /SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/;

/** Start `sockcat -v --ssl -l 127.0.0.1 0 ...args`; resolve with its port and certificate fingerprint. */
async function startServer(t: TestContext, args: string[] = []) {
  const child = spawnCli(['-v', '--ssl', '-l', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  // Collect from the start: the child may exit before the test asks how it ended, and stdout may
  // print before a test waits for a line of it.
  await waitForLine(child.stdout!, /(?:)/);
  const done = finished(child);
  const fingerprint = (await waitForLine(child.stderr!, FINGERPRINT))[1]!;
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return { child, port, fingerprint, done };
}

test('--ssl: data both ways; the client shows the fingerprint and warns it did not verify', async (t) => {
  const server = await startServer(t);
  await waitForLine(
    server.child.stderr!,
    /Generated a temporary ECDSA P-256 certificate in memory\. Use --ssl-cert and --ssl-key for a permanent one\./,
  );
  // The server's stdin ends only once the client spoke: its FIN ends a connect-mode client
  // (ncat 7.96's rule), and the listener goes on after the client's EOF until its stdin ends.
  server.child.stdin!.write('from server\n');
  const child = spawnCli(['--ssl', '127.0.0.1', String(server.port)]);
  t.after(() => stop(child));
  const clientDone = finished(child);
  await waitForLine(child.stdout!, /from server\n/);
  child.stdin!.end('from client\n');
  await waitForLine(server.child.stdout!, /from client\n/);
  server.child.stdin!.end();
  const client = await clientDone;
  assert.equal(client.code, 0, client.stderr);
  assert.equal(client.stdout.toString(), 'from server\n');
  assert.equal(
    client.stderr,
    `sockcat: SHA-256 fingerprint: ${server.fingerprint}\n` +
      'sockcat: warning: certificate not verified (self-signed certificate); use --ssl-verify or --ssl-pin to check it\n',
  );
  const done = await server.done;
  assert.equal(done.code, 0);
  assert.equal(done.stdout.toString(), 'from client\n');
});

test('--ssl-alpn on both sides; -v and --json report protocol, cipher, ALPN, fingerprint', async (t) => {
  const server = await startServer(t, ['--ssl-alpn', 'h2,echo', '--json']);
  server.child.stdin!.end();
  const client = await runCli(
    ['-v', '--json', '--ssl-alpn', 'echo', '127.0.0.1', String(server.port)],
    'x',
  );
  assert.equal(client.code, 0, client.stderr);
  assert.match(
    client.stderr,
    new RegExp(
      `SSL connection to 127\\.0\\.0\\.1:${server.port}; TLSv1\\.3, cipher TLS_\\w+, ALPN echo\\.`,
    ),
  );
  // --json on stderr: the -v lines are `log` events.
  assert.match(client.stderr, /"event":"log","level":1,"message":"Subject: CN=localhost"/);
  const connected = JSON.parse(
    client.stderr.split('\n').find((line) => line.includes('"event":"connected"'))!,
  );
  assert.deepEqual(
    { ...connected.tls, cipher: undefined },
    {
      protocol: 'TLSv1.3',
      cipher: undefined,
      alpn: 'echo',
      fingerprint: server.fingerprint,
      verified: false,
    },
  );
  const done = await server.done;
  assert.match(
    done.stderr,
    /SSL connection from 127\.0\.0\.1:\d+; TLSv1\.3, cipher \w+, ALPN echo\./,
  );
  const accepted = JSON.parse(
    done.stderr.split('\n').find((line) => line.includes('"event":"accepted"'))!,
  );
  assert.equal(accepted.tls.alpn, 'echo');
  assert.equal(accepted.tls.verified, false);
});

test('--ssl-pin: the server certificate passes without a warning; another pin exits 1', async (t) => {
  const server = await startServer(t, ['-k']);
  const good = await runCli(
    ['--ssl-pin', pinForm(server.fingerprint), '127.0.0.1', String(server.port)],
    'pinned\n',
  );
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stderr, '');
  await waitForLine(server.child.stdout!, /pinned\n/);
  const wrong = `sha256:${'ab'.repeat(32)}`;
  const bad = await runCli(['--ssl-pin', wrong, '127.0.0.1', String(server.port)], 'no\n');
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    `sockcat: TLS handshake with 127.0.0.1:${server.port} failed: certificate does not match the pin (its fingerprint is ${pinForm(server.fingerprint)})\n`,
  );
});

test('--ssl-verify: trusted, expired, wrong name, untrusted: one line each and exit 1', async (t) => {
  const certs = await makeCertificates(t);
  const ca = certs.files('ca').cert;
  const cases = [
    { name: 'good', expect: undefined },
    { name: 'expired', expect: /failed: certificate expired on \d{4}-\d\d-\d\dT[\d:]+Z\n$/ },
    {
      name: 'wrongName',
      expect:
        /failed: certificate is not valid for "127\.0\.0\.1" \(it names DNS:example\.invalid\)\n$/,
    },
    { name: 'selfSigned', expect: /failed: self-signed certificate\n$/ },
  ] as const;
  for (const item of cases) {
    const files = certs.files(item.name);
    const server = await startServer(t, ['--ssl-cert', files.cert, '--ssl-key', files.key]);
    // A listener whose stdin is open goes on sending after the client's EOF (docs/eof.md 2l).
    server.child.stdin!.end();
    const client = await runCli(
      ['--ssl-verify', '--ssl-trustfile', ca, '127.0.0.1', String(server.port)],
      'x',
    );
    if (item.expect === undefined) {
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stderr, '');
    } else {
      assert.equal(client.code, 1, item.name);
      assert.equal(client.stderr.split('\n').length, 2, `one line: ${client.stderr}`);
      assert.match(
        client.stderr,
        new RegExp(
          `^sockcat: TLS handshake with 127\\.0\\.0\\.1:${server.port} ${item.expect.source.slice(0)}`,
        ),
      );
    }
    await stop(server.child);
  }
});

test('--ssl-servername: the name sent and verified', async (t) => {
  const certs = await makeCertificates(t);
  const files = certs.files('wrongName');
  const server = await startServer(t, ['--ssl-cert', files.cert, '--ssl-key', files.key]);
  server.child.stdin!.end();
  const client = await runCli(
    [
      '--ssl-verify',
      '--ssl-trustfile',
      certs.files('ca').cert,
      '--ssl-servername',
      'example.invalid',
      '127.0.0.1',
      String(server.port),
    ],
    'x',
  );
  assert.equal(client.code, 0, client.stderr);
});

test('mTLS: -l --ssl-verify requires a client certificate from --ssl-trustfile', async (t) => {
  const certs = await makeCertificates(t);
  const good = certs.files('good');
  const ca = certs.files('ca').cert;
  const serverArgs = [
    '--ssl-cert',
    good.cert,
    '--ssl-key',
    good.key,
    '--ssl-verify',
    '--ssl-trustfile',
    ca,
  ];
  const refusing = await startServer(t, serverArgs);
  // Without a certificate the client is refused (the TLS 1.3 client learns it on its first
  // read), and -l without -k ends there, with status 1, as ncat 7.93 does.
  const bare = await runCli(['--ssl', '--recv-only', '127.0.0.1', String(refusing.port)]);
  assert.equal(bare.stdout.length, 0);
  const refused = await refusing.done;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /TLS client 127\.0\.0\.1:\d+ refused: no client certificate\n/);
  // A certificate the trust file did not sign is refused too (it was let in: node:tls leaves
  // authorizationError unset on a TLSSocket made over an accepted socket).
  const untrusting = await startServer(t, serverArgs);
  const intruder = certs.files('selfSigned');
  const outsider = await runCli([
    ...['--ssl', '--ssl-cert', intruder.cert, '--ssl-key', intruder.key, '--recv-only'],
    ...['127.0.0.1', String(untrusting.port)],
  ]);
  assert.equal(outsider.stdout.length, 0);
  const untrusted = await untrusting.done;
  assert.equal(untrusted.code, 1);
  assert.equal(untrusted.stdout.length, 0);
  assert.match(untrusted.stderr, /TLS client 127\.0\.0\.1:\d+ refused: .*\n/);
  assert.doesNotMatch(untrusted.stderr, /no client certificate/);
  const server = await startServer(t, serverArgs);
  // The listener's stdin stays open until the client has spoken: its FIN would end the client
  // (connect mode exits at the peer's EOF, ncat 7.96) before it sends.
  server.child.stdin!.write('welcome\n');
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
  const clientDone = finished(child);
  await waitForLine(child.stdout!, /welcome\n/);
  child.stdin!.end('hello\n');
  await waitForLine(server.child.stdout!, /hello\n/);
  server.child.stdin!.end();
  const ok = await clientDone;
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.toString(), 'welcome\n');
  const done = await server.done;
  assert.equal(done.stdout.toString(), 'hello\n');
  assert.match(done.stderr, /client certificate CN=sockcat test client/);
});

test('-l -k --ssl: several TLS clients; a plain client is dropped and the server goes on', async (t) => {
  const server = await startServer(t, ['-k']);
  const plain = await connect({ host: '127.0.0.1', port: server.port });
  await plain.sendLine('not TLS');
  await plain.recvAll().catch(() => {});
  plain.destroy();
  await waitForLine(server.child.stderr!, /TLS handshake with 127\.0\.0\.1:\d+ failed: /);
  for (const name of ['one', 'two']) {
    const client = await runCli(['--ssl', '127.0.0.1', String(server.port)], `${name}\n`);
    assert.equal(client.code, 0, client.stderr);
  }
  await waitForLine(server.child.stdout!, /one\ntwo\n/);
});

test('-l -k --ssl under 520 idle connections from 20 sources: a TLS client is still served', async (t) => {
  const server = await startServer(t, ['-k']);
  const idle: Socket[] = [];
  t.after(() => {
    for (const socket of idle) socket.destroy();
  });
  for (let i = 0; i < 520; i++) {
    const socket = netConnect({
      host: '127.0.0.1',
      port: server.port,
      localAddress: `127.0.0.${10 + (i % 20)}`,
    });
    socket.on('error', () => {});
    idle.push(socket);
  }
  // Each is connected, or already reset by the listener making room (the oldest silent go first).
  await Promise.all(idle.map(connectedOrClosed));
  const client = await runCli(['--ssl', '127.0.0.1', String(server.port)], 'still served\n');
  assert.equal(client.code, 0, client.stderr);
  await waitForLine(server.child.stdout!, /still served\n/);
});

test('--deny with --ssl: refused clients are reset before any TLS work, in -l and -l -k', async (t) => {
  for (const mode of [[], ['-k']]) {
    const server = await startServer(t, [...mode, '--deny', '127.0.0.3']);
    await assert.rejects(
      connect(
        { host: '127.0.0.1', port: server.port },
        { localAddress: '127.0.0.3', tls: { insecure: true } },
      ),
      (error: Error & { code?: string }) => {
        // Reset during the handshake: a TLS failure (or a refused connect, if it came first).
        assert.match(error.message, /reset|closed (during|before) the handshake/);
        return true;
      },
    );
    await waitForLine(
      server.child.stderr!,
      /New connection denied: not allowed \(127\.0\.0\.3:\d+\)/,
    );
    assert.doesNotMatch(
      (await waitForLine(server.child.stderr!, /[\s\S]*/))[0],
      /SSL connection from 127\.0\.0\.3/,
    );
    // An allowed client is still served.
    const ok = await connect({ host: '127.0.0.1', port: server.port }, { tls: { insecure: true } });
    await ok.sendLine('allowed');
    await waitForLine(server.child.stdout!, /allowed\n/);
    ok.destroy();
    await stop(server.child);
  }
});

test('SSLKEYLOGFILE: key log lines are appended for Wireshark', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-keylog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const keyLog = join(dir, 'keys.log');
  const server = await startServer(t);
  server.child.stdin!.end();
  const client = await runCli(['--ssl', '127.0.0.1', String(server.port)], 'x', {
    env: { ...process.env, SSLKEYLOGFILE: keyLog },
  });
  assert.equal(client.code, 0, client.stderr);
  const lines = (await readFile(keyLog, 'utf8')).trim().split('\n');
  assert.ok(lines.length >= 4, lines.join('\n'));
  for (const line of lines) {
    assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);
  }
  assert.ok(lines.some((line) => line.startsWith('CLIENT_TRAFFIC_SECRET_0 ')));
});

test('TLS option errors: one line, exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['--ssl-cert', 'c.pem', '-l', '1'], 'sockcat: --ssl-cert needs --ssl-key\n'],
    [
      ['--ssl-pin', 'sha256:zz', 'h', '1'],
      'sockcat: invalid --ssl-pin "sha256:zz": expected sha256: and 64 hex digits or 44 base64 characters\n',
    ],
    [
      ['--ssl-min-version', 'TLSv1.1', 'h', '1'],
      'sockcat: invalid --ssl-min-version "TLSv1.1" (use TLSv1.2 or TLSv1.3)\n',
    ],
    [
      ['--ssl-alpn', 'h2,,x', 'h', '1'],
      'sockcat: invalid --ssl-alpn list "h2,,x": protocol names are 1 to 255 bytes, separated by commas\n',
    ],
    [
      ['--ssl', '--ssl-trustfile', '/nonexistent/ca.pem', '127.0.0.1', '1'],
      'sockcat: cannot read --ssl-trustfile file "/nonexistent/ca.pem": No such file or directory\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const result = await runCli(args);
    assert.equal(result.stderr, stderr, args.join(' '));
    assert.equal(result.code, 2, args.join(' '));
  }
});
