import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { parseDuration } from '../../src/cli/duration.js';
import { helpText } from '../../src/cli/help.js';
import { OPTIONS } from '../../src/cli/option-table.js';
import { DEFAULT_PORT } from '../../src/cli/options.js';

test('connect mode: host and port, -p is the source port', () => {
  const options = parseArgs(['-p', '5000', '-s', '127.0.0.1', 'example.com', '80']);
  assert.equal(options.listen, false);
  assert.equal(options.host, 'example.com');
  assert.equal(options.port, 80);
  assert.equal(options.sourcePort, 5000);
  assert.equal(options.sourceAddress, '127.0.0.1');
  assert.equal(parseArgs(['host']).port, DEFAULT_PORT);
});

test('listen mode: -l [host] [port], -l port, -l -p port, bundled -lvnp', () => {
  assert.deepEqual(pick(parseArgs(['-l', '127.0.0.1', '9000'])), { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(pick(parseArgs(['-l', '9000'])), { host: undefined, port: 9000 });
  assert.deepEqual(pick(parseArgs(['-l', '-p', '9000'])), { host: undefined, port: 9000 });
  assert.deepEqual(pick(parseArgs(['-l'])), { host: undefined, port: DEFAULT_PORT });
  const bundled = parseArgs(['-lvnp', '4444']);
  assert.equal(bundled.listen, true);
  assert.equal(bundled.verbosity, 1);
  assert.equal(bundled.numericOnly, true);
  assert.equal(bundled.port, 4444);
  assert.equal(parseArgs(['-l', '-p4444']).port, 4444);
  assert.equal(parseArgs(['-l', '[::1]', '1']).host, '::1');
});

function pick(options: { host: string | undefined; port: number }) {
  return { host: options.host, port: options.port };
}

test('verbosity counts, durations take suffixes, unique prefixes of long options work', () => {
  assert.equal(parseArgs(['-vvv', 'h', '1']).verbosity, 3);
  assert.equal(parseArgs(['-v', '-v', 'h', '1']).verbosity, 2);
  assert.equal(parseArgs(['-w', '500ms', 'h', '1']).connectTimeout, 500);
  assert.equal(parseArgs(['-w2', 'h', '1']).connectTimeout, 2000);
  assert.equal(parseArgs(['-i', '1m', 'h', '1']).idleTimeout, 60_000);
  assert.equal(parseArgs(['-q', '0', 'h', '1']).quitAfterEof, 0);
  assert.equal(parseArgs(['-q', '-1', 'h', '1']).quitAfterEof, undefined);
  assert.equal(parseArgs(['--recv', 'h', '1']).recvOnly, true);
  assert.equal(parseArgs(['--wait=3s', 'h', '1']).connectTimeout, 3000);
  assert.equal(parseArgs(['--', 'h', '1']).host, 'h');
});

test('help and version win over everything else', () => {
  assert.equal(parseArgs(['-h']).command, 'help');
  assert.equal(parseArgs(['--version', 'x', 'y', 'z']).command, 'version');
});

test('errors name the flag and the value', () => {
  const cases: Array<[string[], string]> = [
    [['-Z'], 'unknown option -Z (try --help)'],
    [['--bogus'], 'unknown option --bogus (try --help)'],
    [
      ['--s', 'h', '1'],
      'option --s is ambiguous (could be --sh-exec, --source-port, --source, --sctp, --scan-concurrency, --send-only, --ssl, --ssl-cert, --ssl-key, --ssl-verify, --ssl-trustfile, --ssl-ciphers, --ssl-servername, --ssl-alpn, --ssl-pin, --ssl-min-version, --sndbuf, --seqpacket, --ssl-insecure)',
    ],
    [['--4', 'h', '1'], 'unknown option --4 (try --help)'],
    [['-w'], 'option -w, --wait needs a value'],
    [['--listen=1'], 'option -l, --listen does not take a value'],
    [
      ['-w', 'abc', 'h', '1'],
      'invalid -w time "abc" (must be greater than 0 and less than 2147483s; units: ms, s, m, h)',
    ],
    [
      ['-w', '0', 'h', '1'],
      'invalid -w time "0" (must be greater than 0 and less than 2147483s; units: ms, s, m, h)',
    ],
    [['h', '70000'], 'port 70000 is out of range (0-65535)'],
    [['h', 'http'], 'invalid port "http"'],
    [['-p', 'x', 'h', '1'], 'invalid source port "x"'],
    [[], 'you must specify a host to connect to'],
    [['a', 'b', 'c'], 'too many arguments: c'],
    [['-l', 'a', '1', 'c'], 'too many arguments: c'],
    [['-l', '-p', '1', '2'], 'two listen ports given: -p 1 and 2'],
    [['-4', '-6', 'h', '1'], '-4 and -6 cannot be used together'],
    [
      ['--send-only', '--recv-only', 'h', '1'],
      '--send-only and --recv-only cannot be used together',
    ],
    [['-s', 'nothost', 'h', '1'], 'invalid -s source address "nothost": not an IP address'],
    [
      ['--sctp', 'h', '1'],
      'option --sctp is not supported: SCTP is out of scope: the kernels sockcat targets ship without SCTP',
    ],
    [
      ['-g', '1.2.3.4', 'h', '1'],
      'option -g is not supported: IP source routing is out of scope: every modern network stack drops source-routed packets',
    ],
    [
      ['--lua-exec', 'x.lua', '-e', '/bin/cat', 'h', '1'],
      '-e and --lua-exec cannot be used together (one command per connection)',
    ],
    [
      ['--lua-exec', 'x.lua', '--send-only', 'h', '1'],
      '--send-only is about standard input and output, which --lua-exec does not relay; it cannot be used with --lua-exec',
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv), { code: 'SOCKCAT_ARGS', message }, argv.join(' '));
  }
});

test('every option not built yet fails by name instead of being ignored', () => {
  for (const spec of OPTIONS.filter((s) => s.status === 'planned')) {
    const flag = spec.short ? `-${spec.short}` : `--${spec.name}`;
    const argv = spec.value ? [flag, 'x', 'h', '1'] : [flag, 'h', '1'];
    assert.throws(() => parseArgs(argv), {
      message: new RegExp(`${flag}.* is not implemented yet$`),
    });
  }
});

test('durations: seconds by default, ms/s/m/h suffixes, fractions', () => {
  assert.equal(parseDuration('1', '-w'), 1000);
  assert.equal(parseDuration('1.5s', '-w'), 1500);
  assert.equal(parseDuration('.25', '-w'), 250);
  assert.equal(parseDuration('2m', '-w'), 120_000);
  assert.equal(parseDuration('1h', '-w'), 3_600_000);
  assert.equal(parseDuration('0', '-q', true), 0);
  assert.throws(() => parseDuration('1d', '-w'), { code: 'SOCKCAT_ARGS' });
  assert.throws(() => parseDuration('3000000', '-w'), { code: 'SOCKCAT_ARGS' });
});

test('the help lists every option of the table', () => {
  const help = helpText('0.0.0');
  for (const spec of OPTIONS) {
    assert.ok(help.includes(spec.noLong ? `-${spec.short}` : `--${spec.name}`), spec.name);
  }
});

test('negative values reach the option that takes them', () => {
  assert.equal(parseArgs(['-q', '-1.5', 'h', '1']).quitAfterEof, undefined);
  assert.equal(parseArgs(['--quit', '-1', 'h', '1']).quitAfterEof, undefined);
  assert.throws(() => parseArgs(['-w', '-1', 'h', '1']), { message: /^invalid -w time "-1"/ });
});

test('--help and --version answer even next to options not built yet', () => {
  assert.equal(parseArgs(['--version', '--ssl']).command, 'version');
  assert.equal(parseArgs(['--broker', '-h']).command, 'help');
});

test('-U: the one argument is the socket path, in both modes; -t and --progress are flags', () => {
  const connect = parseArgs(['-U', '/tmp/s']);
  assert.equal(connect.unixSocket, true);
  assert.equal(connect.host, '/tmp/s');
  assert.equal(connect.listen, false);
  const listen = parseArgs(['-lkU', '@abstract', '-t', '--progress']);
  assert.deepEqual(
    [
      listen.unixSocket,
      listen.listen,
      listen.keepOpen,
      listen.host,
      listen.telnet,
      listen.progress,
    ],
    [true, true, true, '@abstract', true, true],
  );
  // A path that looks like a number is still a path.
  assert.equal(parseArgs(['-l', '-U', '4444']).host, '4444');
});

test('-U: ports, IP options and access lists are refused; -U -u is Unix datagram', () => {
  const datagram = parseArgs(['-U', '-u', 'p']);
  assert.deepEqual([datagram.unixSocket, datagram.udp, datagram.host], [true, true, 'p']);
  const cases: Array<[string[], string | RegExp]> = [
    [['-U', 'p', '80'], 'too many arguments: 80 (with -U the only argument is the socket path)'],
    [['-lU', '-p', '1', 'p'], '-p 1: a Unix socket (-U) has no port'],
    [['-U', '-6', 'p'], '-6 cannot be used with -U: a Unix socket has no IP address'],
    [['-lU', '--deny', '10.0.0.1', 'p'], /^--allow and --deny filter IP addresses/],
    [['-lU', '@'], 'invalid Unix socket path "@"'],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv), { code: 'SOCKCAT_ARGS', message }, argv.join(' '));
  }
});

test('--progress with -z is an error: nothing is transferred', () => {
  assert.throws(() => parseArgs(['-z', '--progress', 'h', '1']), {
    code: 'SOCKCAT_ARGS',
    message: '--progress shows a transfer; -z transfers nothing',
  });
});

test('-e, -c, --js-exec, --lua-exec: one of them, and not with options about stdin/stdout', () => {
  assert.deepEqual(parseArgs(['-l', '-e', '/bin/cat -n', '1']).exec, {
    kind: 'exec',
    command: '/bin/cat -n',
  });
  assert.deepEqual(parseArgs(['--sh-exec', 'wc -c', 'h', '1']).exec, {
    kind: 'sh',
    command: 'wc -c',
  });
  assert.deepEqual(parseArgs(['--js-exec', 'm.mjs', '-i', '1', 'h', '1']).exec, {
    kind: 'js',
    command: 'm.mjs',
  });
  assert.deepEqual(parseArgs(['-lk', '--lua-exec', 'echo.lua', '-C', '-o', 'log', '1']).exec, {
    kind: 'lua',
    command: 'echo.lua',
  });
  assert.throws(() => parseArgs(['-e', '/bin/cat', '-c', 'cat', 'h', '1']), {
    code: 'SOCKCAT_ARGS',
    message: '-e and -c cannot be used together (one command per connection)',
  });
  assert.throws(() => parseArgs(['-l', '-e', '/bin/cat', '--no-shutdown', '1']), {
    message:
      '--no-shutdown is about standard input and output, which -e does not relay; it cannot be used with -e',
  });
  assert.throws(() => parseArgs(['--js-exec', 'm.mjs', '-x', 'dump', 'h', '1']), {
    message:
      '-x cannot be used with --js-exec: the module sends and receives on the connection itself',
  });
  // -C, -o, -x and -d apply to -e and -c.
  assert.equal(parseArgs(['-C', '-o', 'f', '-d', '1', '-c', 'cat', 'h', '1']).crlf, true);
});

test('proxy options: a chain with per-hop types, the server form, NCAT_PROXY_AUTH', () => {
  const chain = parseArgs([
    '--proxy',
    'socks5://a:b@h1',
    '--proxy',
    'h2:8080,h3',
    '--proxy-type',
    'socks4',
    '--proxy-auth',
    'joe',
    '--proxy-dns',
    'local',
    'dest',
    '22',
  ]);
  assert.deepEqual(chain.proxy, [
    { type: 'socks5', host: 'h1', port: 1080, auth: { username: 'a', password: 'b' } },
    {
      type: 'socks4',
      host: 'h2',
      port: 8080,
      auth: { username: 'joe', password: '', text: 'joe' },
    },
    {
      type: 'socks4',
      host: 'h3',
      port: 1080,
      auth: { username: 'joe', password: '', text: 'joe' },
    },
  ]);
  assert.equal(chain.proxyDns, 'local');
  assert.deepEqual(parseArgs(['--proxy', 'h', 'd', '1']).proxy, [
    { type: 'http', host: 'h', port: 3128 },
  ]);
  assert.equal(parseArgs(['--proxy', 'h', 'd', '1']).proxyDns, 'remote');
  const server = parseArgs(['-l', '--proxy-type', 'SOCKS5', '1080'], {
    env: { NCAT_PROXY_AUTH: 'u:p' },
  });
  assert.equal(server.proxyServer, 'socks5');
  assert.deepEqual(server.proxyServerAuth, { username: 'u', password: 'p', text: 'u:p' });
  const env = parseArgs(['--proxy', 'h', 'd', '1'], { env: { NCAT_PROXY_AUTH: 'u:p' } });
  assert.deepEqual(env.proxy[0]?.auth, { username: 'u', password: 'p', text: 'u:p' });
  const flagWins = parseArgs(['--proxy', 'h', '--proxy-auth', 'x:y', 'd', '1'], {
    env: { NCAT_PROXY_AUTH: 'u:p' },
  });
  assert.deepEqual(flagWins.proxy[0]?.auth, { username: 'x', password: 'y', text: 'x:y' });
  // As ncat: an explicit empty --proxy-auth is sent (Basic with nothing); SOCKS5 refuses it.
  assert.deepEqual(parseArgs(['--proxy', 'h', '--proxy-auth', '', 'd', '1']).proxy[0]?.auth, {
    username: '',
    password: '',
    text: '',
  });
  assert.throws(
    () => parseArgs(['--proxy', 'h', '--proxy-type', 'socks5', '--proxy-auth', ':a', 'd', '1']),
    { message: /^--proxy-auth for a socks5 proxy needs a user name/ },
  );
});

test('-k in connect mode is the half-open session (ncat 7.96), refused where it means nothing', () => {
  const options = parseArgs(['-k', 'h', '1']);
  assert.equal(options.keepOpen, true);
  assert.equal(options.listen, false);
  const refused: [string[], string][] = [
    [['-k', '-u', 'h', '1'], '-u (a datagram socket has no end of file)'],
    [['-k', '-z', 'h', '1'], '-z (nothing is relayed)'],
    [['-k', '-e', '/bin/cat', 'h', '1'], '-e, -c or --js-exec (stdin and stdout are not relayed)'],
    [['-k', '--send-only', 'h', '1'], "--send-only (the peer's end of file is ignored anyway)"],
    [
      ['-k', '--recv-only', 'h', '1'],
      '--recv-only (stdin is not read, so nothing is left to send)',
    ],
  ];
  for (const [argv, what] of refused) {
    assert.throws(() => parseArgs(argv), {
      code: 'SOCKCAT_ARGS',
      message: `-k in connect mode keeps sending stdin after the peer's end of file; it cannot be used with ${what}`,
    });
  }
});

test('--pty-resize goes with --raw (the terminal side) or --pty (the command side)', () => {
  assert.equal(parseArgs(['--raw', '--pty-resize', 'h', '1']).ptyResize, true);
  assert.equal(parseArgs(['-e', '/bin/sh', '--pty', '--pty-resize', 'h', '1']).ptyResize, true);
  assert.equal(parseArgs(['h', '1']).ptyResize, false);
  assert.throws(() => parseArgs(['--pty-resize', 'h', '1']), {
    code: 'SOCKCAT_ARGS',
    message:
      '--pty-resize sends the window size from a --raw terminal and applies it to a --pty command; it needs --raw or --pty',
  });
});
