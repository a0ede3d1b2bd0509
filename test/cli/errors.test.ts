// Expected failures: one line on stderr, a documented exit status, never a stack trace.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { runCli } from '../helpers/child.js';
import { ROOT } from '../helpers/paths.js';
import { refusedPort } from '../helpers/ports.js';

function assertOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line expected, got: ${JSON.stringify(stderr)}`);
  assert.match(lines[0]!, pattern);
}

test('connection refused: exit 1', async () => {
  const port = await refusedPort();
  const { code, stderr, stdout } = await runCli(['127.0.0.1', String(port)]);
  assert.equal(code, 1);
  assert.equal(stdout.length, 0);
  assertOneLine(
    stderr,
    new RegExp(`^sockcat: connect to 127\\.0\\.0\\.1:${port} failed: Connection refused$`),
  );
});

test('unresolvable host: exit 2', async () => {
  const { code, stderr } = await runCli(['nonexistent.invalid', '80']);
  assert.equal(code, 2);
  assertOneLine(stderr, /^sockcat: host cannot be resolved: "nonexistent\.invalid" \(.+\)$/);
});

test('-n with a host name: exit 2 before any lookup', async () => {
  const { code, stderr } = await runCli(['-n', 'localhost', '80']);
  assert.equal(code, 2);
  assertOneLine(stderr, /name resolution is disabled \(-n\)$/);
});

test('-4 with an IPv6 literal: exit 2', async () => {
  const { code, stderr } = await runCli(['-4', '::1', '80']);
  assert.equal(code, 2);
  assertOneLine(stderr, /^sockcat: address "::1" is IPv6 but IPv4 was requested$/);
});

test('bad port, bad option, bad duration, missing host: exit 2', async () => {
  for (const [argv, pattern] of [
    [['127.0.0.1', '70000'], /port 70000 is out of range \(0-65535\)$/],
    [['-Z'], /unknown option -Z \(try --help\)$/],
    [['-w', 'abc', '127.0.0.1', '1'], /invalid -w time "abc"/],
    [[], /you must specify a host to connect to$/],
    [
      ['--vsock', '127.0.0.1', '1'],
      /option --vsock is not supported: vsock sockets are out of scope$/,
    ],
  ] as Array<[string[], RegExp]>) {
    const { code, stderr } = await runCli(argv);
    assert.equal(code, 2, argv.join(' '));
    assertOneLine(stderr, pattern);
  }
});

test('listening on a port in use: exit 2', async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const { code, stderr } = await runCli(['-l', '127.0.0.1', String(port)]);
  assert.equal(code, 2);
  assertOneLine(
    stderr,
    new RegExp(`listen on 127\\.0\\.0\\.1:${port} failed: Address already in use$`),
  );
});

test('--version and -h print to stdout and exit 0', async () => {
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout.toString(), new RegExp(`^sockcat ${VERSION.replace(/\./g, '\\.')} `));
  const help = await runCli(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^Usage: sockcat \[options\] \[hostname\] \[port\]$/m);
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test('no stack trace for an expected failure, even with -vv', async () => {
  const port = await refusedPort();
  const quiet = await runCli(['-vv', '127.0.0.1', String(port)]);
  assert.doesNotMatch(quiet.stderr, /\n\s+at /);
});

test('SIGTERM during a session exits 130 without a message', async () => {
  const { spawnCli, finished, waitForLine } = await import('../helpers/child.js');
  const child = spawnCli(['-lv', '127.0.0.1', '0']);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const { Socket } = await import('node:net');
  const socket = new Socket();
  socket.connect(Number(match[1]), '127.0.0.1');
  await once(socket, 'connect');
  await waitForLine(child.stderr!, /Connection from/);
  const result = finished(child);
  child.kill('SIGTERM');
  const { code, stderr } = await result;
  assert.equal(code, 130);
  assert.equal(stderr, '');
  socket.destroy();
});
