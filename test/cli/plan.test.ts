// Options → plan (pure): the layers each mode is made of, refusals naming the option and the
// mode, one-line warnings where ncat accepts an option and ignores it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { layersOf, modeName } from '../../src/cli/layers.js';
import { OPTION_RULES } from '../../src/cli/option-rules.js';
import { OPTIONS } from '../../src/cli/option-table.js';
import { buildPlan } from '../../src/cli/plan.js';

const plan = (argv: string[]) => buildPlan(parseArgs(argv, { env: {} }));
const layers = (argv: string[]) => layersOf(parseArgs(argv, { env: {} }));

test('every option of the table has a rule (the layer that honours it)', () => {
  for (const spec of OPTIONS) assert.ok(OPTION_RULES[spec.name], `no rule for ${spec.name}`);
  assert.deepEqual(
    Object.keys(OPTION_RULES).filter((name) => !OPTIONS.some((spec) => spec.name === name)),
    [],
    'rules for options that are not in the table',
  );
});

test('layers: each mode is one choice per layer', () => {
  assert.deepEqual(layers(['host', '80']), {
    transport: 'tcp',
    security: 'plain',
    role: 'connect',
    multiplicity: 'once',
    io: 'stdio',
  });
  assert.deepEqual(layers(['-l', '--broker', '--ssl', '80']), {
    transport: 'tcp',
    security: 'tls',
    role: 'listen',
    multiplicity: 'broker',
    io: 'stdio',
  });
  assert.equal(layers(['--chat', '80']).multiplicity, 'chat');
  assert.equal(layers(['-l', '--proxy-type', 'http', '--ssl', '80']).io, 'proxy-server');
  assert.equal(layers(['-l', '--proxy-type', 'http', '--ssl', '80']).security, 'tls');
  assert.equal(layers(['-U', '-u', '/tmp/s']).transport, 'unix-dgram');
  assert.equal(layers(['-U', '--seqpacket', '/tmp/s']).transport, 'seqpacket');
  assert.equal(layers(['-l', '-k', '-e', 'cat', '80']).multiplicity, 'keep-open');
  assert.equal(layers(['-l', '-k', '-e', 'cat', '80']).io, 'exec');
  assert.equal(layers(['--js-exec', 'm.mjs', 'host', '80']).io, 'js-exec');
  assert.equal(layers(['-z', 'host', '80']).io, 'scan');
  assert.equal(layers(['--lua-exec', 's.lua', 'host', '80']).io, 'lua-exec');
  assert.equal(layers(['-u', '--ssl', 'host', '80']).security, 'dtls');
  assert.equal(layers(['-u', '-l', '-k', '--ssl-verify', '80']).security, 'dtls');
  assert.equal(layers(['--ssl', 'host', '80']).security, 'tls');
});

test('mode names are the flags a user would write', () => {
  assert.equal(modeName(layers(['host', '80'])), 'connect mode');
  assert.equal(modeName(layers(['--ssl', 'host', '80'])), 'connect mode --ssl');
  assert.equal(modeName(layers(['-l', '-k', '80'])), '-l -k');
  assert.equal(modeName(layers(['--broker', '--ssl', '80'])), '--broker --ssl');
  assert.equal(modeName(layers(['-u', '-l', '80'])), '-u -l');
  assert.equal(modeName(layers(['-u', '-l', '--ssl', '80'])), '-u -l --ssl');
  assert.equal(modeName(layers(['-l', '--lua-exec', 's.lua', '80'])), '-l --lua-exec');
  const options = parseArgs(['-l', '--proxy-type', 'socks5', '80']);
  assert.equal(modeName(layersOf(options), options), '-l --proxy-type socks5');
});

test('--ssl is never dropped: every listener keeps it, and seqpacket, which cannot, refuses it', () => {
  for (const argv of [
    ['-l', '--broker', '--ssl', '80'],
    ['--chat', '--ssl', '80'],
    ['--chat', '--ssl-verify', '--ssl-trustfile', 'ca.pem', '80'],
    ['-l', '--proxy-type', 'http', '--ssl', '80'],
    ['-l', '-k', '--ssl', '80'],
    ['-l', '-e', 'cat', '--ssl', '80'],
  ]) {
    const built = plan(argv);
    assert.equal(built.security, 'tls', argv.join(' '));
    assert.deepEqual(built.warnings, [], argv.join(' '));
  }
  assert.throws(
    () => plan(['-l', '--ssl', '--seqpacket', '-U', '/tmp/s']),
    /^ArgumentError: --ssl cannot be used with -U --seqpacket -l: TLS over a SOCK_SEQPACKET socket/,
  );
});

test('refused by name where ncat refuses: --allow, -m in connect mode; -t with -z and the proxy server; -l -s', () => {
  assert.throws(
    () => plan(['--allow', '10.0.0.1', 'host', '80']),
    /--allow cannot be used with connect mode/,
  );
  assert.throws(
    () => plan(['-m', '3', 'host', '80']),
    /-m, --max-conns cannot be used with connect mode/,
  );
  assert.throws(() => plan(['-z', '-t', 'host', '80']), /-t, --telnet cannot be used with -z/);
  assert.throws(
    () => plan(['-l', '--proxy-type', 'http', '-t', '80']),
    /-t, --telnet cannot be used with -l --proxy-type http/,
  );
  assert.throws(() => plan(['-l', '-s', '127.0.0.1', '80']), /-s, --source cannot be used with -l/);
  assert.throws(
    () => plan(['-l', '--proxy-type', 'http', '-q', '1', '80']),
    /-q, --quit-after-eof cannot be used with -l --proxy-type http/,
  );
  assert.throws(
    () => plan(['--scan-concurrency', '4', 'host', '80']),
    /--scan-concurrency cannot be used with connect mode/,
  );
  assert.throws(
    () => plan(['-z', '--proxy-protocol', 'v1', 'host', '80']),
    /--proxy-protocol cannot be used with -z/,
  );
});

test('warned by name where ncat accepts and ignores: --deny in connect mode, -o/-C/-d with -z, -C with a proxy server', () => {
  assert.deepEqual(plan(['--deny', '10.0.0.1', 'host', '80']).warnings, [
    'warning: --deny has no effect with connect mode (it filters the clients of a listener); ignored',
  ]);
  const scan = plan(['-z', '-o', 'log', '-C', '-d', '1', 'host', '80']).warnings;
  assert.equal(scan.length, 3);
  assert.match(scan[0]!, /^warning: -C, --crlf has no effect with -z/);
  assert.match(scan[1]!, /^warning: -d, --delay has no effect with -z/);
  assert.match(scan[2]!, /^warning: -o, --output has no effect with -z/);
  assert.match(
    plan(['-l', '--proxy-type', 'http', '-C', '80']).warnings[0]!,
    /^warning: -C, --crlf has no effect with -l --proxy-type http \(a proxy server does not read standard input\); ignored$/,
  );
  assert.match(plan(['-l', '-w', '5', '80']).warnings[0]!, /-w, --wait has no effect with -l/);
  assert.match(
    plan(['-l', '-e', 'cat', '-t', '80']).warnings[0]!,
    /-t, --telnet has no effect with -l -e/,
  );
});

test('--no-shutdown with --broker or --chat is warned about by name: stdin EOF sends the clients nothing (as ncat 7.93)', () => {
  for (const mode of ['--broker', '--chat']) {
    assert.deepEqual(plan([mode, '--no-shutdown', '80']).warnings, [
      `warning: --no-shutdown has no effect with ${mode} (stdin's end sends the clients no end of file there, as in ncat); ignored`,
    ]);
  }
  // Where stdin's end does send FIN, it is honoured: no warning.
  assert.deepEqual(plan(['-l', '-k', '--no-shutdown', '80']).warnings, []);
});

test('--retry with -u -l --forward is refused by name (a UDP session has no connection to retry); over TCP it is honoured', () => {
  for (const flag of [['--retry', '3'], ['--retry-forever']]) {
    assert.throws(() => plan(['-u', '-l', '-k', ...flag, '--forward', 'udp://127.0.0.1:9', '80']), {
      message: new RegExp(
        `^${flag[0]} cannot be used with -u -l -k --forward: a UDP session sends datagrams to its target`,
      ),
    });
  }
  assert.deepEqual(
    plan(['-l', '-k', '--retry', '3', '--forward', '127.0.0.1:9', '80']).warnings,
    [],
  );
});

test('options every mode honours give no warning', () => {
  assert.deepEqual(plan(['-v', '-n', '-4', '--json', 'host', '80']).warnings, []);
  assert.deepEqual(
    plan(['--broker', '-t', '-C', '-d', '1', '-q', '1', '-o', 'f', '80']).warnings,
    [],
  );
  assert.deepEqual(plan(['-l', '-k', '-m', '5', '--allow', '127.0.0.1', '80']).warnings, []);
});

test('the OpenBSD dialect is checked by the same rules under ncat names', () => {
  const options = parseArgs(['-l', '-k', '-p', '80'], { invokedAs: 'nc' });
  assert.deepEqual(options.given.sort(), ['keep-open', 'listen', 'source-port']);
  assert.deepEqual(buildPlan(options).warnings, []);
  assert.deepEqual(parseArgs(['-z', '-n', 'host', '80'], { invokedAs: 'nc' }).given.sort(), [
    'nodns',
    'zero',
  ]);
});

test("--allow '' and --deny ',' are errors, like --allow ' ' (they would filter silently)", () => {
  assert.throws(() => parseArgs(['-l', '--allow', '', '80']), {
    message: 'invalid --allow "": no host specification given',
  });
  assert.throws(() => parseArgs(['-l', '--deny', ',', '80']), {
    message: 'invalid --deny ",": no host specification given',
  });
  assert.equal(parseArgs(['-l', '--allow', '127.0.0.1,', '80']).access.allow.length, 1);
});
