import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { helpText, optionSyntax, wrapWords } from '../../src/cli/help.js';
import { OPTIONS } from '../../src/cli/option-table.js';
import { editDistance, nearest } from '../../src/cli/suggest.js';
import { finished, runCli, spawnCli } from '../helpers/child.js';

const spec = (name: string) => OPTIONS.find((option) => option.name === name)!;

test('-h shows each option as it is typed, optional values with "="', () => {
  assert.equal(optionSyntax(spec('json')), '--json[=FILE]');
  assert.equal(optionSyntax(spec('keepalive')), '--keepalive[=idle,interval,count]');
  assert.equal(optionSyntax(spec('sh-exec')), '-c, --sh-exec <command>');
  assert.equal(optionSyntax(spec('ipv4')), '-4');
  assert.equal(optionSyntax(spec('source-route')), '-g <hop1[,hop2,...]>');
  const help = helpText('0.0.0');
  assert.match(help, /^ {2}--json\[=FILE\] +NDJSON events/m);
});

test('-h fits 80 columns and ends with where the manual and the docs are', () => {
  const help = helpText('0.0.0', { manPage: '/p/dist/man/sockcat.1', cliDoc: '/p/docs/cli.md' });
  for (const line of help.split('\n')) assert.ok(line.length <= 80, `too long: ${line}`);
  assert.deepEqual(help.trimEnd().split('\n').slice(-3), [
    'The manual, with end-of-file rules, exit statuses and examples: man sockcat',
    '(or man /p/dist/man/sockcat.1)',
    'Every option in detail: /p/docs/cli.md',
  ]);
  // The one-file binary has no files beside it: only `man sockcat` is named.
  assert.match(helpText('0.0.0'), /examples: man sockcat\n$/);
});

test('the help lists every option of the table, each description whole', () => {
  const flat = helpText('0.0.0').replace(/\n {33}/g, ' ');
  for (const option of OPTIONS) assert.ok(flat.includes(optionSyntax(option)), option.name);
  for (const option of OPTIONS) assert.ok(flat.includes(option.help), option.name);
});

test('wrapWords breaks between words only', () => {
  assert.deepEqual(wrapWords('aa bb cc', 5), ['aa bb', 'cc']);
  assert.deepEqual(wrapWords('a-very-long-word x', 5), ['a-very-long-word', 'x']);
  assert.deepEqual(wrapWords('', 5), []);
});

test('an unknown option suggests the nearest one, when one is near', () => {
  assert.equal(editDistance('lisen', 'listen'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(nearest('lisen', ['listen', 'udp']), 'listen');
  assert.equal(nearest('bogus', ['listen', 'udp']), undefined);
  assert.throws(() => parseArgs(['--lisen', '80']), {
    code: 'SOCKCAT_ARGS',
    message: 'unknown option --lisen (did you mean --listen?)',
  });
  assert.throws(() => parseArgs(['--proxytype', 'http', 'h', '1']), {
    message: 'unknown option --proxytype (did you mean --proxy-type?)',
  });
  assert.throws(() => parseArgs(['--bogus']), { message: 'unknown option --bogus (try --help)' });
  assert.throws(() => parseArgs(['-Z']), { message: 'unknown option -Z (try --help)' });
});

test('--json FILE HOST PORT says how to give the file', () => {
  assert.throws(() => parseArgs(['--json', 'ev.json', '127.0.0.1', '80']), {
    code: 'SOCKCAT_ARGS',
    message:
      '--json takes its file only after "=": write --json=ev.json (a bare --json writes to stderr, and "ev.json" was read as the host)',
  });
  assert.equal(parseArgs(['--json=ev.json', '127.0.0.1', '80']).json, 'ev.json');
  assert.equal(parseArgs(['--json', '127.0.0.1', '80']).json, '');
});

test('the built CLI answers a lone --version and -h, and -h names the man page', async () => {
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(
    version.stdout.toString(),
    /^sockcat \d+\.\d+\.\d+ \(ncat-compatible; Node\.js v\d+/,
  );
  const help = await runCli(['-h']);
  assert.equal(help.code, 0);
  assert.equal(help.stderr, '');
  assert.match(help.stdout.toString(), /^ {2}-l, --listen +Bind and listen/m);
  assert.match(help.stdout.toString(), /\(or man \/.*\/dist\/man\/sockcat\.1\)\n/);
  // The same text as through the parser (-h next to other options).
  const both = await runCli(['-v', '-h']);
  assert.equal(both.stdout.toString(), help.stdout.toString());
  // A lone --version is answered before the parser loads: the same text as through it.
  const parsed = await runCli(['--version', '-v']);
  assert.equal(parsed.stdout.toString(), version.stdout.toString());
});

test('a lone --version or -h into a closed pipe ends quietly with exit 0', async () => {
  for (const args of [['--version'], ['-h']]) {
    const child = spawnCli(args);
    const result = finished(child);
    // Closes this end at once (uv_close), long before the child's Node has started: it writes
    // into a pipe nobody reads (EPIPE).
    child.stdout!.destroy();
    const { code, stderr } = await result;
    assert.equal(code, 0, `${args[0]}: ${stderr}`);
    assert.equal(stderr, '', args[0]);
  }
});

test('with --json on stderr, stderr is NDJSON only, the failure an error event', async () => {
  for (const args of [
    ['--json', '-v', '127.0.0.1', '1'],
    ['--json=-', '127.0.0.1', '1'],
    ['--json', '--lisen', '1'],
  ]) {
    const result = await runCli(args);
    const events = result.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; exitStatus?: number; message: string });
    const last = events.at(-1)!;
    assert.equal(last.event, 'error', result.stderr);
    assert.equal(last.exitStatus, result.code);
    assert.ok(
      events.slice(0, -1).every((event) => event.event === 'log'),
      result.stderr,
    );
  }
});
