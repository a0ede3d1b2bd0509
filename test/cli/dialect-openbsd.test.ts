// The OpenBSD netcat dialect's parser (--dialect openbsd, or run as `nc`): pure cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseDialect, parseArgs } from '../../src/cli/args.js';
import { parseOpenbsdArgs } from '../../src/cli/dialect-openbsd.js';
import { parseTos, TOS_KEYWORDS } from '../../src/cli/socket-flags.js';
import { ArgumentError } from '../../src/errors.js';

const nc = (...argv: string[]) => parseOpenbsdArgs(argv);
const fails = (argv: string[], message: RegExp) =>
  assert.throws(
    () => parseOpenbsdArgs(argv),
    (error: unknown) => {
      assert.ok(error instanceof ArgumentError);
      assert.match(error.message, message);
      return true;
    },
  );

test('the dialect: --dialect X anywhere before --, else `nc` as the invoked name', () => {
  assert.equal(chooseDialect(['h', '1']), 'ncat');
  assert.equal(chooseDialect(['h', '1'], 'nc'), 'openbsd');
  assert.equal(chooseDialect(['h', '1'], 'sockcat'), 'ncat');
  assert.equal(chooseDialect(['-v', '--dialect', 'openbsd', 'h', '1']), 'openbsd');
  assert.equal(chooseDialect(['h', '1', '--dialect=openbsd']), 'openbsd');
  assert.equal(chooseDialect(['--dialect', 'ncat', 'h', '1'], 'nc'), 'ncat');
  assert.equal(chooseDialect(['--', '--dialect=openbsd']), 'ncat');
  assert.throws(() => chooseDialect(['--dialect', 'gnu']), /invalid --dialect "gnu"/);
  assert.throws(() => chooseDialect(['--dialect']), /--dialect needs a value/);
  assert.equal(parseArgs(['-N', 'h', '1'], { invokedAs: 'nc' }).dialect, 'openbsd');
  assert.equal(parseArgs(['--dialect', 'openbsd', '-N', 'h', '1']).noShutdown, false);
  assert.equal(parseArgs(['--dialect=ncat', 'h', '1']).dialect, 'ncat');
  assert.throws(() => parseArgs(['--dia', 'openbsd', 'h', '1']), /write --dialect in full/);
});

test('defaults: no FIN at stdin EOF, no timeouts, stdin read', () => {
  const options = nc('example.com', '80');
  assert.equal(options.dialect, 'openbsd');
  assert.equal(options.host, 'example.com');
  assert.equal(options.port, 80);
  assert.equal(options.noShutdown, true);
  assert.equal(options.connectTimeout, Number.POSITIVE_INFINITY);
  assert.equal(options.idleTimeout, undefined);
  assert.equal(options.quitAfterEof, undefined);
  assert.equal(options.noStdin, false);
  assert.equal(options.idleTimeoutEndsQuietly, true);
});

test('getopt: bundles, attached values, operands before options, --', () => {
  const bundled = nc('-lvnp', '80');
  assert.equal(bundled.listen, true);
  assert.equal(bundled.verbosity, 1);
  assert.equal(bundled.numericOnly, true);
  assert.equal(bundled.port, 80);
  assert.equal(nc('-w5', 'h', '1').connectTimeout, 5000);
  assert.equal(nc('-vvw', '2', 'h', '1').verbosity, 2);
  assert.equal(nc('h', '1', '-v').verbosity, 1);
  assert.equal(nc('--', '-h', '1').host, '-h');
  assert.equal(nc('-q', '-1', 'h', '1').quitAfterEof, undefined);
});

test('-N, -q, -d, -C, -i, -w, -n, -4/-6, -s, -p, -r, -T', () => {
  assert.equal(nc('-N', 'h', '1').noShutdown, false);
  const quit = nc('-q', '2', 'h', '1');
  assert.equal(quit.quitAfterEof, 2000);
  assert.equal(quit.noShutdown, false, '-q implies -N');
  assert.equal(nc('-q', '0', 'h', '1').quitAfterEof, 0);
  const forever = nc('-q', '-1', 'h', '1');
  assert.equal(forever.quitAfterEof, undefined);
  assert.equal(forever.noShutdown, true);
  assert.equal(nc('-d', 'h', '1').noStdin, true);
  assert.equal(nc('-C', 'h', '1').crlf, true);
  assert.equal(nc('-i', '2', 'h', '1').lineInterval, 2000);
  const wait = nc('-w', '3', 'h', '1');
  assert.equal(wait.connectTimeout, 3000);
  assert.equal(wait.idleTimeout, 3000);
  assert.equal(nc('-w', '0', 'h', '1').idleTimeout, undefined);
  assert.equal(nc('-n', '127.0.0.1', '1').numericOnly, true);
  assert.equal(nc('-4', 'h', '1').family, 4);
  assert.equal(nc('-6', 'h', '1').family, 6);
  assert.equal(nc('-s', '127.0.0.2', 'h', '1').sourceAddress, '127.0.0.2');
  assert.equal(nc('-p', '5000', 'h', '1').sourcePort, 5000);
  assert.equal(nc('-zr', 'h', '1-3').scanRandom, true);
  assert.equal(nc('-T', 'lowdelay', 'h', '1').socket?.tos, 0x10);
});

test('-l: port positional or -p, host positional or -s; IPv4 wildcard unless -6', () => {
  assert.deepEqual(pick(nc('-l', '80')), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(pick(nc('-l', '-p', '80')), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(pick(nc('-l', '127.0.0.1', '80')), { host: '127.0.0.1', port: 80 });
  assert.deepEqual(pick(nc('-l', '-s', '127.0.0.1', '-p', '80')), { host: '127.0.0.1', port: 80 });
  assert.deepEqual(pick(nc('-6l', '80')), { host: '::', port: 80 });
  const keep = nc('-lk', '80');
  assert.equal(keep.keepOpen, true);
  assert.equal(keep.keepOpenSequential, true);
  fails(['-l'], /missing port number/);
  fails(['-l', '-p', '1', '2'], /with -l, give the port as arguments or with -s\/-p, not both/);
  fails(['-l', '-p', '1', '127.0.0.1'], /not both/);
  fails(['-l', '-s', '127.0.0.1', '1'], /not both/);
  fails(['-lz', '1'], /cannot use -z and -l/);
  fails(['-k', 'h', '1'], /must use -l with -k/);
});

function pick(options: { host: string | undefined; port: number }) {
  return { host: options.host, port: options.port };
}

test('-z: ports and ranges as separate words, in the order given', () => {
  assert.deepEqual(nc('-z', 'h', '30', '20-22', '5').scanPorts, [30, 20, 21, 22, 5]);
  assert.deepEqual(nc('-z', 'h', '7').scanPorts, [7]);
  fails(['h', '1-3'], /only supported with -z/);
  fails(['h', '1', '2'], /only supported with -z/);
  fails(['-z', 'h', '3-1'], /3 is above 1/);
});

test('-T: every keyword of nc(1), numbers in decimal and hex', () => {
  assert.equal(parseTos('af11'), 0x28);
  assert.equal(parseTos('af43'), 0x98);
  assert.equal(parseTos('cs0'), 0);
  assert.equal(parseTos('cs7'), 0xe0);
  assert.equal(parseTos('ef'), 0xb8);
  assert.equal(parseTos('critical'), 0xa0);
  assert.equal(parseTos('inetcontrol'), 0xc0);
  assert.equal(parseTos('netcontrol'), 0xe0);
  assert.equal(parseTos('throughput'), 0x08);
  assert.equal(parseTos('reliability'), 0x04);
  assert.equal(parseTos('lowcost'), 0x02);
  assert.equal(parseTos('0x10'), 16);
  assert.equal(parseTos('46'), 46);
  assert.equal(Object.keys(TOS_KEYWORDS).length, 7 + 1 + 12 + 8);
  fails(['-T', '300', 'h', '1'], /invalid -T type of service "300"/);
  fails(['-T', 'fast', 'h', '1'], /invalid -T type of service "fast"/);
});

test('-x/-X: a proxy hop, SOCKS5 unless -X says 4 or connect; not with -l or -s', () => {
  assert.deepEqual(nc('-x', 'p', 'h', '1').proxy, [{ type: 'socks5', host: 'p', port: 1080 }]);
  assert.equal(nc('-x', 'p', 'h', '1').proxyDns, 'remote');
  assert.deepEqual(nc('-X', 'connect', '-x', '[::1]', 'h', '1').proxy, [
    { type: 'http', host: '::1', port: 3128 },
  ]);
  const socks4 = nc('-X', '4', '-x', 'p:9050', 'h', '1');
  assert.deepEqual(socks4.proxy, [{ type: 'socks4', host: 'p', port: 9050 }]);
  assert.equal(socks4.proxyDns, 'local');
  fails(['-X', '6', '-x', 'p', 'h', '1'], /invalid -X proxy protocol "6" \(4, 5 or connect\)/);
  fails(['-X', '5', 'h', '1'], /-X names the protocol of a proxy: it needs -x/);
  fails(['-l', '-x', 'p', '1'], /a proxy \(-x\) cannot be used with -l or -s/);
});

test('errors: unknown flags, missing values, bad numbers, not built, not supported', () => {
  fails(['-e', '/bin/sh', 'h', '1'], /invalid option -e \(OpenBSD netcat has no -e or -c/);
  fails(['-c', 'id', 'h', '1'], /invalid option -c/);
  fails(['-Q', 'h', '1'], /invalid option -Q/);
  // A long option is named whole, without its value (nc.openbsd: "invalid option -- '-'").
  fails(
    ['-l', '-k', '--websocket', '1'],
    /^invalid option --websocket: OpenBSD netcat has one-letter options only \(use sockcat without --dialect openbsd for --websocket\)$/,
  );
  fails(['--ssl-key=/secret/k.pem', 'h', '1'], /^invalid option --ssl-key: (?!.*secret)/);
  fails(['-w'], /option -w needs a value/);
  fails(['-w', 'abc', 'h', '1'], /invalid -w timeout "abc"/);
  fails(['-w', '0.5', 'h', '1'], /invalid -w timeout "0.5"/);
  fails(['-i', '0.5', 'h', '1'], /invalid -i interval/);
  fails(['-q', '0.5', 'h', '1'], /invalid -q quit time/);
  fails(['-u', 'h', '1'], /option -u \(UDP\) is not implemented yet in the OpenBSD dialect/);
  fails(['-U', '/tmp/s'], /option -U \(Unix domain sockets\) is not implemented yet in the/);
  fails(['-t', 'h', '1'], /option -t \(Telnet negotiation\) is not implemented yet in the/);
  for (const letter of ['b', 'D', 'F', 'S', 'Z']) {
    fails([`-${letter}`, 'h', '1'], new RegExp(`option -${letter} is not supported: `));
  }
  assert.deepEqual(nc('-I', '64k', '-O', '8192', 'h', '1').socket, {
    receiveBufferSize: 65_536,
    sendBufferSize: 8192,
  });
  assert.equal(nc('-M', '7', 'h', '1').socket?.ttl, 7);
  for (const letter of ['m', 'P', 'V', 'W']) {
    fails([`-${letter}`, '1', 'h', '1'], new RegExp(`option -${letter} is not supported: `));
  }
  fails(['-4', '-6', 'h', '1'], /-4 and -6 cannot be used together/);
  fails(['-s', 'nothost', 'h', '1'], /not an IP address/);
  fails([], /you must specify a host/);
  fails(['h'], /missing port number/);
  fails(['h', '99999'], /port 99999 is out of range/);
  assert.equal(nc('-h', '-Z').command, 'help');
});
