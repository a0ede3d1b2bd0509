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
import { freePort, refusedPort } from '../helpers/ports.js';

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
      /option --vsock is not supported: vsock sockets are out of scope: they need a virtual machine host$/,
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

test('SIGTERM during a session exits 143 (128 + 15) without a message', async () => {
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
  assert.equal(code, 143);
  // -v names the data path when the session starts; nothing else may follow the signal.
  assert.equal(stderr.replace(/^sockcat: Data path: .*\n/gm, ''), '');
  socket.destroy();
});

// Messages in words (issue 17, item 8), input checks (item 9), late -o (item 10).

async function privateDir(t: { after(fn: () => void): void }): Promise<string> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-errors-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('file, certificate and cipher problems are said in words; the code only with --json', async (t) => {
  const dir = await privateDir(t);
  const { writeFileSync } = await import('node:fs');
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  const port = String(await freePort());
  const cases: Array<[string[], string]> = [
    [
      ['-l', '--allowfile', '/nonexistent', '127.0.0.1', port],
      'sockcat: cannot read --allowfile file "/nonexistent": No such file or directory',
    ],
    [
      ['-l', '--ssl-cert', notPem, '--ssl-key', notPem, '127.0.0.1', port],
      'sockcat: cannot use the TLS certificate or key: the certificate is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)',
    ],
    [
      ['-l', '--ssl-ciphers', 'NOPE', '127.0.0.1', port],
      'sockcat: invalid TLS cipher list "NOPE": no cipher matches it',
    ],
    [
      ['--ssl-ciphers', 'NOPE', '127.0.0.1', port],
      'sockcat: invalid TLS cipher list "NOPE": no cipher matches it',
    ],
    [
      ['-l', '-U', '/nonexistent-dir/sub/sock'],
      'sockcat: listen on /nonexistent-dir/sub/sock failed: No such file or directory (the directory "/nonexistent-dir/sub" does not exist)',
    ],
  ];
  for (const [args, line] of cases) {
    const result = await runCli(args);
    assert.equal(result.stderr, `${line}\n`, args.join(' '));
    assert.equal(result.code, 2, args.join(' '));
    assert.doesNotMatch(result.stderr, /ENOENT|error:[0-9A-F]{8}|routines/);
  }
  const json = await runCli(['--json', '-l', '--allowfile', '/nonexistent', '127.0.0.1', port]);
  const event = JSON.parse(json.stderr.split('\n').find((line) => line.startsWith('{')) ?? '{}');
  assert.equal(event.event, 'error');
  assert.equal(event.cause, 'ENOENT');
  const verbose = await runCli(['-vvv', '-l', '--allowfile', '/nonexistent', '127.0.0.1', port]);
  assert.match(verbose.stderr, /^sockcat: \(system code ENOENT\)$/m);
});

test('a --denyfile that is not a host list: its line number, never its content', async (t) => {
  const dir = await privateDir(t);
  const { writeFileSync } = await import('node:fs');
  const shadow = join(dir, 'shadow');
  writeFileSync(shadow, '10.0.0.1\nroot:$6$saltsalt$secrethash:19000:0:99999:7:::\n');
  const result = await runCli(['-l', '--denyfile', shadow, '127.0.0.1', '0']);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `sockcat: --denyfile file ${JSON.stringify(shadow)}: line 2 is not a host specification (an IP address, a CIDR block, an nmap-style octet range or a host name)\n`,
  );
});

test('ports with spaces, an unterminated "[", open port ranges, huge input: clear and short', async () => {
  const cases: Array<[string[], string]> = [
    [['127.0.0.1', ' 80'], 'sockcat: invalid port " 80"'],
    [['127.0.0.1', '80 '], 'sockcat: invalid port "80 "'],
    [['[::1', '80'], 'sockcat: invalid address "[::1": missing "]"'],
    [
      ['-z', '127.0.0.1', '--', '-5'],
      'sockcat: invalid port range "-5": the first port missing (write a range as LOW-HIGH, e.g. 20-25)',
    ],
    [
      ['-z', '127.0.0.1', '1-'],
      'sockcat: invalid port range "1-": the last port missing (write a range as LOW-HIGH, e.g. 20-25)',
    ],
    [
      ['-z', '127.0.0.1', '-'],
      'sockcat: invalid port range "-": both ports missing (write a range as LOW-HIGH, e.g. 20-25)',
    ],
  ];
  for (const [args, line] of cases) {
    const result = await runCli(args);
    assert.equal(result.stderr, `${line}\n`, args.join(' '));
    assert.equal(result.code, 2, args.join(' '));
  }
  const huge = await runCli(['-n', `${'h'.repeat(100_000)}.example`, '80']);
  assert.equal(huge.code, 2);
  assert.ok(huge.stderr.length < 300, `cut to a readable length: ${huge.stderr.length} bytes`);
  assert.match(huge.stderr, /^sockcat: .*"h+…\(\d+ characters\)…h*\.example"/);
});

test('-o and -x files are opened only once every check has passed: a failed run keeps the old log', async (t) => {
  const dir = await privateDir(t);
  const { writeFileSync } = await import('node:fs');
  const log = join(dir, 'session.log');
  const hex = join(dir, 'session.hex');
  writeFileSync(log, 'previous log\n');
  writeFileSync(hex, 'previous dump\n');
  const busy = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  t.after(() => busy.close());
  const port = String((busy.address() as { port: number }).port);
  const failing: string[][] = [
    [
      '-o',
      log,
      '-x',
      hex,
      '-l',
      '--ssl-cert',
      '/nonexistent.pem',
      '--ssl-key',
      '/x',
      '127.0.0.1',
      '0',
    ],
    ['-o', log, '-x', hex, '-l', '127.0.0.1', port],
    ['-o', log, '-x', hex, '-l', '-k', '127.0.0.1', port],
  ];
  for (const args of failing) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(readFileSync(log, 'utf8'), 'previous log\n', args.join(' '));
    assert.equal(readFileSync(hex, 'utf8'), 'previous dump\n', args.join(' '));
  }
  const unwritable = await runCli(['-o', join(dir, 'missing', 'x.log'), '-l', '127.0.0.1', '0']);
  assert.equal(unwritable.code, 2);
  assert.equal(
    unwritable.stderr,
    `sockcat: cannot open -o file ${JSON.stringify(join(dir, 'missing', 'x.log'))}: No such file or directory\n`,
  );
});
