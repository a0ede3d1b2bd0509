// -u --ssl (DTLS) from the command line: sockcat at both ends, stdin EOF sending close_notify in
// both roles, -u -l -k --ssl with three peers at once, verification failures in one line, an
// ICMP refusal, and the combinations that are refused by name before any socket opens.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';
import { connectUdp } from '../../src/dial/connect-udp.js';
import { makeCertificates } from '../helpers/certificates.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';

async function dtlsListener(t: TestContext, args: string[]) {
  const child = spawnCli(['-v', '-u', '-l', '--ssl', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  // Start the stdout transcript before finished() makes the stream flow.
  await waitForLine(child.stdout!, /(?:)/);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  return { child, port, done: finished(child) };
}

test("-u --ssl to -u -l --ssl: datagrams both ways; the client's stdin EOF sends close_notify and both exit 0", async (t) => {
  const server = await dtlsListener(t, []);
  server.child.stdin!.write('from the server\n');
  const client = spawnCli(['-v', '-u', '--ssl', '127.0.0.1', String(server.port)]);
  t.after(() => stop(client));
  const fromServer = waitForLine(client.stdout!, /from the server\n/);
  const clientDone = finished(client);
  client.stdin!.write('from the client\n');
  await fromServer;
  await waitForLine(server.child.stdout!, /from the client\n/);
  client.stdin!.end();
  const clientResult = await clientDone;
  assert.equal(clientResult.code, 0, clientResult.stderr);
  assert.match(clientResult.stderr, /SSL connection to 127\.0\.0\.1:\d+; DTLSv1\.2, cipher /);
  assert.match(
    clientResult.stderr,
    /warning: certificate not verified \(self-signed certificate\)/,
  );
  const serverResult = await server.done;
  assert.equal(serverResult.code, 0, serverResult.stderr);
  assert.match(serverResult.stderr, /SSL connection from 127\.0\.0\.1:\d+; DTLSv1\.2/);
});

test("-u -l --ssl: the server's stdin EOF sends close_notify; the client sees its end and exits 0", async (t) => {
  const server = await dtlsListener(t, []);
  const client = spawnCli(['-u', '--ssl', '127.0.0.1', String(server.port)]);
  t.after(() => stop(client));
  const clientDone = finished(client);
  client.stdin!.write('hello\n');
  await waitForLine(server.child.stdout!, /hello\n/);
  server.child.stdin!.end('last words\n');
  const clientResult = await clientDone;
  assert.equal(clientResult.code, 0, clientResult.stderr);
  assert.equal(clientResult.stdout.toString(), 'last words\n');
  // The server keeps receiving after its close_notify, until the client's ends the session.
  const serverResult = await server.done;
  assert.equal(serverResult.code, 0, serverResult.stderr);
});

test('-u -l -k --ssl: three peers at once, each with its own session; stdin goes to all', async (t) => {
  const server = await dtlsListener(t, ['-k', '--json']);
  const peers = await Promise.all(
    [1, 2, 3].map(() => connectUdp(`127.0.0.1:${server.port}`, { tls: { insecure: true } })),
  );
  t.after(() => Promise.all(peers.map((peer) => peer.close())));
  for (const [index, peer] of peers.entries()) await peer.send(`peer ${index + 1}\n`);
  for (const index of [1, 2, 3])
    await waitForLine(server.child.stdout!, new RegExp(`peer ${index}\\n`));
  server.child.stdin!.write('to everyone\n');
  for (const peer of peers) assert.equal((await peer.recv())?.toString(), 'to everyone\n');
  const accepted = await waitForLine(
    server.child.stderr!,
    /("event":"accepted"[^\n]*\n[\s\S]*){3}/,
  );
  const ports = new Set(
    [...accepted[0].matchAll(/"event":"accepted"[^\n]*"port":(\d+)/g)].map((match) => match[1]),
  );
  assert.equal(ports.size >= 3, true, accepted[0]);
  // One peer's close_notify ends its session only.
  await peers[0]!.close();
  await waitForLine(server.child.stderr!, /"event":"closed"[^\n]*"reason":"peer-closed"/);
  await peers[1]!.send('still here\n');
  await waitForLine(server.child.stdout!, /still here\n/);
});

test('-u -l -k --ssl -q: the run ends after stdin; each session closes with quit-after-eof, and its peer gets close_notify', async (t) => {
  const server = await dtlsListener(t, ['-k', '--json', '-q', '0']);
  const peer = await connectUdp(`127.0.0.1:${server.port}`, { tls: { insecure: true } });
  t.after(() => peer.close());
  await peer.send('hello\n');
  await waitForLine(server.child.stdout!, /hello\n/);
  server.child.stdin!.end();
  // The peer sees the session's end (close_notify): its receive ends.
  assert.equal(await peer.recv(), undefined);
  const result = await server.done;
  assert.equal(result.code, 0, result.stderr);
  const closed = [...result.stderr.matchAll(/\{[^\n]*"event":"closed"[^\n]*\}/g)].map(
    (match) => JSON.parse(match[0]) as { reason: string },
  );
  assert.deepEqual(
    closed.map((event) => event.reason),
    ['quit-after-eof'],
  );
});

test('--ssl-verify against a self-signed DTLS server: one line, exit 1', async (t) => {
  const server = await dtlsListener(t, []);
  const result = await runCli(['-u', '--ssl-verify', '127.0.0.1', String(server.port)], 'x\n');
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /^sockcat: DTLS handshake with 127\.0\.0\.1:\d+ failed: (self-signed certificate|certificate issuer not trusted)\n$/,
  );
});

test('--ssl-verify --ssl-trustfile with a CA-signed server certificate: verified', async (t) => {
  const certs = await makeCertificates(t);
  const files = certs.files('good');
  const server = await dtlsListener(t, ['--ssl-cert', files.cert, '--ssl-key', files.key]);
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
  const done = finished(client);
  client.stdin!.end('checked\n');
  await waitForLine(server.child.stdout!, /checked\n/);
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Certificate verified\./);
});

test('-u --ssl to a closed port: the ICMP refusal is reported, exit 1', async (t) => {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  const result = await runCli(['-u', '--ssl', '127.0.0.1', String(port)]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /refused the datagrams: Connection refused \(ICMP port unreachable\)/,
  );
  t.diagnostic(result.stderr.trim());
});

test('refused by name before any socket opens: DTLS over -U -u, DTLS 1.3', async () => {
  const unix = await runCli(['-U', '-u', '--ssl', '/nonexistent/sockcat.sock']);
  assert.equal(unix.code, 2);
  assert.match(
    unix.stderr,
    /--ssl cannot be used with -U -u: DTLS over Unix datagram sockets is not built/,
  );
  const v13 = await runCli(['-u', '-l', '--ssl-min-version', 'TLSv1.3', '127.0.0.1', '0']);
  assert.equal(v13.code, 2);
  assert.match(
    v13.stderr,
    /^sockcat: --ssl-min-version cannot be used with -u -l --ssl: no DTLS 1\.3 is available: DTLS 1\.2 is the highest version \(use TLSv1\.2\)$/m,
  );
});
