// The option × mode matrix, observed: every cell that src/cli/option-matrix.ts calls honoured is
// run through the built CLI in its mode against a real peer on loopback, and the option's effect
// is checked where the peer, stdout, the --json events, a file or `ss` can see it, against the
// same run without the option. Cells with no observation yet are listed, by name, in
// test/cli/option-matrix-unobserved.txt; the list may only shrink (a new honoured cell needs an
// observation, and a cell observed or no longer honoured must leave the list).
//
// The cells run in shards (test/cli/option-matrix-observed-N.test.ts, one option's cells per
// shard), so that the test runner spreads them over its processes and no one file holds the
// whole matrix; test/cli/option-matrix-unobserved.test.ts checks the list.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { type Layers, layersOf } from '../../src/cli/layers.js';
import {
  MATRIX_MODES,
  type MatrixMode,
  matrixCell,
  optionArgv,
} from '../../src/cli/option-matrix.js';
import { OPTIONS, type OptionSpec } from '../../src/cli/option-table.js';
import type { Options } from '../../src/cli/options.js';
import { runCli } from './child.js';
import { startListeningPeer } from './listening-peer.js';
import { BROKER_OBSERVERS, chooseBroker } from './matrix-broker.js';
import {
  type Driver,
  type Exchange,
  tcpConnectDriver,
  tcpListenDriver,
  udpConnectDriver,
} from './matrix-drivers.js';
import { chooseDtls } from './matrix-dtls.js';
import { alsoFor, assertDelivered, eventsNamed, type Observer, okRun } from './matrix-observe.js';
import { chooseServe, SERVE_OBSERVERS } from './matrix-serve.js';
import { TERM_OBSERVERS } from './matrix-term.js';
import { chooseTls, TLS_OBSERVERS } from './matrix-tls.js';
import { chooseTlsio, TLSIO_CORE_EXTENSIONS, TLSIO_OBSERVERS } from './matrix-tlsio.js';
import { chooseUnix, UNIX_OBSERVERS } from './matrix-unix.js';
import { chooseWss, WS_SCRIPTED_DRIVERS, WSS_TLS_DRIVERS } from './matrix-wss.js';
import { ROOT } from './paths.js';
import { requirePeer } from './peers.js';
import { freePort } from './ports.js';

const DRIVERS = {
  tcpConnect: tcpConnectDriver(),
  tcpConnectExec: tcpConnectDriver({ echoes: true }),
  tcpListen: tcpListenDriver(),
  tcpListenKeepOpen: tcpListenDriver({ keepOpen: true }),
  tcpListenExec: tcpListenDriver({ echoes: true }),
  tcpListenKeepOpenExec: tcpListenDriver({ keepOpen: true, echoes: true }),
  udpConnect: udpConnectDriver(),
  udpConnectExec: udpConnectDriver({ echoes: true }),
};

/** TCP and UDP without TLS: connect, listen (once and -k), stdio and -e/-c. */
function plainStreams(layers: Layers): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security !== 'plain') return undefined;
  const exec = io === 'exec';
  if (io !== 'stdio' && !exec) return undefined;
  if (transport === 'tcp' && role === 'connect') {
    if (multiplicity === 'broker' || multiplicity === 'chat') return undefined;
    return exec ? DRIVERS.tcpConnectExec : DRIVERS.tcpConnect;
  }
  if (transport === 'tcp' && role === 'listen') {
    if (multiplicity === 'once') return exec ? DRIVERS.tcpListenExec : DRIVERS.tcpListen;
    if (multiplicity === 'keep-open') {
      return exec ? DRIVERS.tcpListenKeepOpenExec : DRIVERS.tcpListenKeepOpen;
    }
    return undefined;
  }
  if (transport === 'udp' && role === 'connect') {
    return exec ? DRIVERS.udpConnectExec : DRIVERS.udpConnect;
  }
  return undefined;
}

/** Each family of drivers picks one for a cell's layers, or passes. */
const CHOOSERS: ReadonlyArray<(layers: Layers, options: Options) => Driver | undefined> = [
  plainStreams,
  chooseDtls,
  chooseUnix,
  chooseTls,
  chooseBroker,
  chooseServe,
  chooseTlsio,
  chooseWss,
];

/** The driver for the layers a cell's argv (the option, then the mode) asks for, if any. */
function driverFor(argv: readonly string[]): Driver | undefined {
  const options = parseArgs(argv, { env: {} });
  // -h, --version and --completions answer before any mode: they need no peer.
  if (options.command !== 'run') return DRIVERS.tcpConnect;
  const layers = layersOf(options);
  for (const choose of CHOOSERS) {
    const driver = choose(layers, options);
    if (driver) return driver;
  }
  return undefined;
}

interface Cell {
  spec: OptionSpec;
  mode: MatrixMode;
  observer: Observer | undefined;
  driver: Driver | undefined;
}

const EXEC_DRIVERS = [
  DRIVERS.udpConnectExec.name,
  DRIVERS.tcpConnectExec.name,
  DRIVERS.tcpListenExec.name,
  DRIVERS.tcpListenKeepOpenExec.name,
];

/**
 * An option that makes the mode another one (-l, -k, -u, -e, ...): the cell is driven as the mode
 * it makes, so the run delivering both ways through that mode's peer is the observation.
 */
const formsMode: Observer = {
  async observe({ run, driver, argv }) {
    assertDelivered(await run(), driver, argv.join(' '));
  },
};

/** The address sockcat listened on or connected to, from its events. */
function targetAddress(run: Exchange): unknown {
  const listening = eventsNamed(run, 'listening')[0] as
    | { local?: { address?: string } }
    | undefined;
  if (listening) return listening.local?.address;
  const connected = eventsNamed(run, 'connected')[0] as
    | { remote?: { address?: string } }
    | undefined;
  return connected?.remote?.address;
}

/** -4 and -6: the family asked for is used, and an address of the other one is refused. */
function family(flag: '-4' | '-6', own: string, other: string): Observer {
  return {
    async observe({ run, driver }) {
      const withIt = await run([flag], { host: own, peerAddress: own });
      assertDelivered(withIt, driver, flag);
      assert.equal(targetAddress(withIt), own);
      const refused = await run([flag], { host: other, peerAddress: other });
      assert.notEqual(refused.code, 0, `${flag} with ${other}: ${refused.stderr}`);
      const without = await run([], { host: other, peerAddress: other });
      assertDelivered(without, driver, `${other} without ${flag}`);
    },
  };
}

const { IAC, DO, WONT } = { IAC: 255, DO: 253, WONT: 252 };

/** The TCP and UDP drivers above, and the WebSocket ones: those with the scripts some observations need. */
const PLAIN_DRIVERS = [
  ...Object.values(DRIVERS).map((driver) => driver.name),
  ...WS_SCRIPTED_DRIVERS,
];

/** The TLS family's drivers (test/helpers/matrix-tls.ts). */
const TLS_DRIVERS = [
  'tls connect',
  'tls connect, exec',
  'tls listen',
  'tls listen -k',
  'tls listen, exec',
  'tls listen -k, exec',
  ...WSS_TLS_DRIVERS,
];

/** `observer`, for the plain TCP and UDP drivers only. */
function plainOnly(observer: Observer): Observer {
  return { ...observer, only: PLAIN_DRIVERS };
}

const CORE_OBSERVERS: Readonly<Record<string, Observer>> = {
  ipv4: plainOnly(family('-4', '127.0.0.1', '::1')),
  ipv6: plainOnly(family('-6', '::1', '127.0.0.1')),
  delay: plainOnly({
    // (UDP has no second-send script.)
    except: [...EXEC_DRIVERS, DRIVERS.udpConnect.name],
    async observe({ run }) {
      const withIt = await run(['-d', '300ms'], { stdinSecond: 'second\n' });
      okRun(withIt, '-d');
      assert.match(withIt.received.toString(), /from-stdin\n[\s\S]*second\n/);
      // -d waits after each chunk sent before reading stdin again: a lower bound, never an upper.
      assert.ok(
        withIt.spreadMs >= 250,
        `the second send came ${withIt.spreadMs} ms after the first`,
      );
    },
  }),
  'quit-after-eof': plainOnly({
    except: [DRIVERS.udpConnect.name, DRIVERS.udpConnectExec.name],
    async observe({ run }) {
      // The peer never closes: only -q ends the session after stdin's end.
      const withIt = await run(['-q', '300ms'], { peerHolds: true });
      assert.equal(withIt.code, 0, withIt.stderr);
      const closed = eventsNamed(withIt, 'closed')[0];
      assert.equal(closed?.['reason'], 'quit-after-eof', withIt.stderr);
    },
  }),
  telnet: plainOnly({
    async observe({ run, baseline }) {
      const peerSends = Buffer.concat([Buffer.from([IAC, DO, 24]), Buffer.from('from-peer\n')]);
      // stdin ends only after the peer's bytes are in: a FIN sent first would leave no way back.
      const withIt = await run(['-t'], { peerSends, endAfterReply: true });
      okRun(withIt, '-t');
      assert.ok(withIt.received.includes(Buffer.from([IAC, WONT, 24])), 'the peer got WONT');
      assert.equal(withIt.stdout.toString('latin1'), 'from-peer\n', 'the command left stdout');
      const without = await baseline();
      assert.ok(!without.received.includes(IAC), 'no negotiation without -t');
    },
  }),
  'max-conns': plainOnly({
    async observe({ run }) {
      const withIt = await run(['-m', '1'], { secondClient: true });
      okRun(withIt, '-m');
      const denied = eventsNamed(withIt, 'denied');
      assert.equal(denied.length, 1, withIt.stderr);
      assert.equal(denied[0]!['reason'], 'max-conns');
    },
  }),
  retry: plainOnly({
    async observe({ run, driver }) {
      const withIt = await run(['--retry', '5', '--retry-delay', '100ms'], { target: 'later' });
      assertDelivered(withIt, driver, '--retry');
      assert.ok(eventsNamed(withIt, 'connect-failed').length >= 1, withIt.stderr);
      const without = await run([], { target: 'later' });
      assert.notEqual(without.code, 0, 'without --retry the refused connect is the end');
    },
  }),
  'retry-delay': plainOnly({
    async observe({ run, driver }) {
      const withIt = await run(['--retry-delay', '300ms', '--retry', '3'], { target: 'later' });
      assertDelivered(withIt, driver, '--retry-delay');
      const failed = Date.parse(String(eventsNamed(withIt, 'connect-failed')[0]?.['time']));
      const connected = Date.parse(String(eventsNamed(withIt, 'connected')[0]?.['time']));
      // The next attempt waits the delay: a lower bound.
      assert.ok(connected - failed >= 250, `retried ${connected - failed} ms after the failure`);
    },
  }),
  'retry-forever': plainOnly({
    async observe({ run, driver }) {
      const withIt = await run(['--retry-forever', '--retry-delay', '100ms'], { target: 'later' });
      assertDelivered(withIt, driver, '--retry-forever');
      assert.ok(eventsNamed(withIt, 'connect-failed').length >= 1, withIt.stderr);
    },
  }),
  'source-port': plainOnly({
    async observe({ run, driver }) {
      // A source address of its own, so that no other test's connect can take the port first.
      const port = await freePort('127.0.0.77');
      const withIt = await run(['-s', '127.0.0.77', '-p', String(port)]);
      assertDelivered(withIt, driver, '-p');
      assert.deepEqual(withIt.peerSaw, { address: '127.0.0.77', port });
    },
  }),
  wait: plainOnly({
    except: [DRIVERS.udpConnect.name, DRIVERS.udpConnectExec.name],
    async observe({ run }) {
      const withIt = await run(['-w', '300ms'], { target: 'blackhole' });
      assert.equal(withIt.code, 1, withIt.stderr);
      const error = eventsNamed(withIt, 'error')[0];
      assert.equal(error?.['code'], 'SOCKCAT_TIMEOUT', withIt.stderr);
    },
  }),
  proxy: plainOnly({
    async observe({ t, run, driver }) {
      const ncat = requirePeer(t, 'ncat');
      if (ncat === undefined) return;
      // ncat 7.93's proxy server binds every address whatever it is given: -4 leaves it one
      // socket (one port), and --allow turns away all but loopback clients while it runs.
      const proxy = await startListeningPeer(t, {
        command: ncat,
        args: ['-lv', '-4', '--allow', '127.0.0.1', '--proxy-type', 'http', '127.0.0.1', '0'],
        ready: /Listening on/,
        reportsPort: false,
      });
      const withIt = await run(['--proxy', `127.0.0.1:${proxy.port}`], { endAfterReply: true });
      assertDelivered(withIt, driver, '--proxy');
      // The peer's connection is the proxy's own, not the one sockcat made.
      const connected = eventsNamed(withIt, 'connected')[0] as { local?: { port?: number } };
      assert.notEqual(withIt.peerSaw?.port, connected?.local?.port);
      assert.deepEqual(connected?.['proxy' as never], [`http://127.0.0.1:${proxy.port}`]);
    },
  }),
  'proxy-protocol': plainOnly({
    async observe({ run, driver }) {
      const withIt = await run(['--proxy-protocol', 'v1']);
      assertDelivered(withIt, driver, '--proxy-protocol');
      assert.match(withIt.received.toString(), /^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\n/);
    },
  }),
  source: plainOnly({
    async observe({ run, driver }) {
      const withIt = await run(['-s', '127.0.0.2']);
      assertDelivered(withIt, driver, '-s');
      assert.equal(withIt.peerSaw?.address, '127.0.0.2');
    },
  }),
  listen: formsMode,
  'keep-open': formsMode,
  udp: formsMode,
  exec: formsMode,
  'sh-exec': formsMode,
  help: {
    async observe({ argv, mode }) {
      const result = await runCli([...argv, ...mode.argv]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.toString(), /^Usage: sockcat /m);
    },
  },
  version: {
    async observe({ argv, mode }) {
      const result = await runCli([...argv, ...mode.argv]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.toString(), /^sockcat \d+\.\d+\.\d+ /);
    },
  },
  dialect: {
    // `--dialect ncat` is the default: the run is the run without it.
    async observe({ run, baseline, driver }) {
      const [withIt, without] = [await run(), await baseline()];
      assertDelivered(withIt, driver, '--dialect ncat');
      assert.deepEqual(withIt.received, without.received);
      assert.deepEqual(withIt.stdout, without.stdout);
    },
  },
  verbose: {
    async observe({ run, baseline, driver }) {
      const [withIt, without] = [await run(), await baseline()];
      assertDelivered(withIt, driver, '-v');
      // (Warnings are level-0 logs, printed without -v too.)
      const verbose = (run: Exchange) =>
        eventsNamed(run, 'log').filter((event) => Number(event['level']) >= 1);
      assert.ok(verbose(withIt).length > 0, `-v logs: ${withIt.stderr}`);
      assert.equal(verbose(without).length, 0, without.stderr);
    },
  },
  json: {
    async observe({ run, driver }) {
      const withIt = await run();
      assertDelivered(withIt, driver, '--json');
      assert.ok(eventsNamed(withIt, 'closed').length > 0, `a closed event: ${withIt.stderr}`);
    },
  },
  output: {
    async observe({ run, driver }) {
      const withIt = await run(['-o', 'session.log']);
      assertDelivered(withIt, driver, '-o');
      const log = readFileSync(join(withIt.dir, 'session.log'), 'latin1');
      assert.match(log, /from-peer/, 'the log has what the peer sent');
      if (!driver.echoes) assert.match(log, /from-stdin/, 'the log has what stdin sent');
    },
  },
  'hex-dump': {
    async observe({ run, driver }) {
      const withIt = await run(['-x', 'session.hex']);
      assertDelivered(withIt, driver, '-x');
      const dump = readFileSync(join(withIt.dir, 'session.hex'), 'latin1');
      // "from-peer" as the dump's hex and its text column.
      assert.match(dump, /66 72 6f 6d 2d 70 65 65 {1,2}72 .*from-peer/);
    },
  },
  crlf: {
    async observe({ run, baseline, driver }) {
      const [withIt, without] = [await run(), await baseline()];
      assertDelivered(withIt, driver, '-C');
      // What goes to the peer gets CRLF: stdin, or with -e the program's output.
      const sent = driver.echoes ? /from-peer\r\n/ : /from-stdin\r\n/;
      assert.match(withIt.received.toString(), sent);
      assert.doesNotMatch(without.received.toString(), /\r\n/);
    },
  },
  pty: {
    async observe({ run, baseline, driver }) {
      // On a terminal, the line is echoed by the terminal and then by cat, each ending in CRLF
      // (over datagrams, two answers: the run waits for both).
      const twice = 'from-peer\r\nfrom-peer\r\n';
      const [withIt, without] = [await run(['--pty'], { reply: twice }), await baseline()];
      assertDelivered(withIt, driver, '--pty');
      assert.equal(withIt.received.toString(), twice, withIt.stderr);
      assert.equal(without.received.toString(), 'from-peer\n');
    },
  },
  'send-only': {
    except: [DRIVERS.udpConnect.name, DRIVERS.udpConnectExec.name],
    async observe({ run, driver }) {
      const withIt = await run();
      okRun(withIt, '--send-only');
      assert.match(withIt.received.toString(), /from-stdin/);
      assert.equal(withIt.stdout.length, 0, 'nothing from the peer reached stdout');
      void driver;
    },
  },
  'recv-only': {
    // In keep-open modes stdin is written only once a client is in: a client that closes at once
    // would show nothing either way.
    except: [
      DRIVERS.tcpListenKeepOpen.name,
      DRIVERS.tcpListenKeepOpenExec.name,
      DRIVERS.udpConnect.name,
      DRIVERS.udpConnectExec.name,
    ],
    async observe({ run }) {
      const withIt = await run(undefined, { peerCloses: true });
      okRun(withIt, '--recv-only');
      assert.equal(withIt.received.length, 0, 'nothing from stdin reached the peer');
      assert.match(withIt.stdout.toString(), /from-peer/);
    },
  },
  'idle-timeout': {
    async observe({ run }) {
      const withIt = await run(['-i', '300ms'], { idlePeer: true });
      const idle = withIt.events.some(
        (event) =>
          (event.event === 'closed' && event['reason'] === 'idle-timeout') ||
          (event.event === 'error' && /idle/i.test(String(event['message']))),
      );
      assert.ok(idle, `the session ended on -i: ${withIt.stderr}`);
    },
  },
  allow: {
    async observe({ run }) {
      const withIt = await run(['--allow', '10.9.8.7'], { denied: true });
      assert.ok(eventsNamed(withIt, 'denied').length > 0, `denied: ${withIt.stderr}`);
      assert.equal(withIt.stdout.length, 0);
    },
  },
  deny: {
    async observe({ run }) {
      const withIt = await run(['--deny', '127.0.0.1'], { denied: true });
      assert.ok(eventsNamed(withIt, 'denied').length > 0, `denied: ${withIt.stderr}`);
      assert.equal(withIt.stdout.length, 0);
    },
  },
  allowfile: {
    async observe({ run }) {
      const withIt = await run(['--allowfile', 'allow.txt'], {
        denied: true,
        files: { 'allow.txt': '10.9.8.7\n' },
      });
      assert.ok(eventsNamed(withIt, 'denied').length > 0, `denied: ${withIt.stderr}`);
    },
  },
  denyfile: {
    async observe({ run }) {
      const withIt = await run(['--denyfile', 'deny.txt'], {
        denied: true,
        files: { 'deny.txt': '127.0.0.1\n' },
      });
      assert.ok(eventsNamed(withIt, 'denied').length > 0, `denied: ${withIt.stderr}`);
    },
  },
  nodns: {
    async observe({ run, driver }) {
      const withIt = await run(['-n'], { host: 'localhost' });
      assert.equal(withIt.code, 2, withIt.stderr);
      assert.match(withIt.stderr, /name resolution is disabled \(-n\)/);
      const without = await run([], { host: 'localhost' });
      assertDelivered(without, driver, 'localhost without -n');
    },
  },
  keepalive: {
    async observe({ run, driver }) {
      const withIt = await run(['--keepalive'], { probeSockets: true });
      assertDelivered(withIt, driver, '--keepalive');
      assert.match(withIt.sockets, /timer:\(keepalive/, withIt.sockets);
    },
  },
  rcvbuf: {
    async observe({ run, driver }) {
      const withIt = await run(['-I', '40000'], { probeSockets: true });
      assertDelivered(withIt, driver, '-I');
      // The kernel doubles SO_RCVBUF for its bookkeeping (socket(7)).
      assert.match(withIt.sockets, /skmem:\(r\d+,rb80000,/, withIt.sockets);
    },
  },
  sndbuf: {
    async observe({ run, driver }) {
      const withIt = await run(['-O', '40000'], { probeSockets: true });
      assertDelivered(withIt, driver, '-O');
      assert.match(withIt.sockets, /,tb80000,/, withIt.sockets);
    },
  },
  tos: {
    async observe({ run, driver }) {
      const withIt = await run(['-T', 'lowdelay'], { probeSockets: true });
      assertDelivered(withIt, driver, '-T');
      assert.match(withIt.sockets, /tos:0x10/, withIt.sockets);
    },
  },
};

const OBSERVERS: Readonly<Record<string, Observer>> = {
  ...alsoFor(CORE_OBSERVERS, TLSIO_CORE_EXTENSIONS),
  ...TLSIO_OBSERVERS,
  ...UNIX_OBSERVERS,
  ...tlsOnly(TLS_OBSERVERS),
  ...BROKER_OBSERVERS,
  ...SERVE_OBSERVERS,
  ...TERM_OBSERVERS,
};

/** TLS's observations, for the TLS drivers (DTLS has its own peers). */
function tlsOnly(observers: Readonly<Record<string, Observer>>): Record<string, Observer> {
  return Object.fromEntries(
    Object.entries(observers).map(([option, observer]) => [
      option,
      { ...observer, only: TLS_DRIVERS },
    ]),
  );
}

/** The honoured cells this file observes, and the ones it does not, as "option<TAB>mode". */
function honouredCells(): Cell[] {
  const cells: Cell[] = [];
  for (const spec of OPTIONS) {
    for (const mode of MATRIX_MODES) {
      if (matrixCell(spec, mode).outcome !== 'honoured') continue;
      const driver = driverFor([...optionArgv(spec), ...mode.argv]);
      const observer = driver?.observers?.[spec.name] ?? OBSERVERS[spec.name];
      const applies =
        observer !== undefined &&
        driver !== undefined &&
        !(observer.except?.includes(driver.name) ?? false) &&
        (observer.only?.includes(driver.name) ?? true) &&
        !(driver.unsuited?.includes(spec.name) ?? false);
      cells.push({ spec, mode, driver, observer: applies ? observer : undefined });
    }
  }
  return cells;
}

/** The honoured cells with an observation, grouped by option, in the order of the option table. */
function observedByOption(): Map<string, Cell[]> {
  const byOption = new Map<string, Cell[]>();
  for (const cell of honouredCells()) {
    if (cell.observer === undefined) continue;
    const list = byOption.get(cell.spec.name) ?? [];
    list.push(cell);
    byOption.set(cell.spec.name, list);
  }
  return byOption;
}

/**
 * The options of shard `index` (1-based) of `count`: options go, largest first, to the shard
 * with the fewest cells so far, so the shards take about as long as each other.
 */
function shardOptions(byOption: Map<string, Cell[]>, index: number, count: number): Set<string> {
  const loads = Array.from({ length: count }, () => ({ cells: 0, options: new Set<string>() }));
  const largestFirst = [...byOption].sort(
    ([a, left], [b, right]) => right.length - left.length || a.localeCompare(b),
  );
  for (const [option, cells] of largestFirst) {
    const lightest = loads.reduce((best, load) => (load.cells < best.cells ? load : best));
    lightest.cells += cells.length;
    lightest.options.add(option);
  }
  return loads[index - 1]!.options;
}

/** Registers one test per option of shard `index` of `count`, with a subtest per mode. */
export function observeShard(index: number, count: number): void {
  const byOption = observedByOption();
  const mine = shardOptions(byOption, index, count);
  // One run without the option per driver and mode, shared by the observers that compare with it.
  const baselines = new Map<string, Promise<Exchange>>();
  for (const [option, cells] of byOption) {
    if (!mine.has(option)) continue;
    test(`observed: ${option} in ${cells.length} modes`, { concurrency: 4 }, async (t) => {
      const subtests = cells.map((cell) =>
        t.test(`${cell.mode.name} (${cell.driver!.name})`, async (sub) => {
          const driver = cell.driver!;
          const { mode } = cell;
          const argv = optionArgv(cell.spec);
          await cell.observer!.observe({
            t: sub,
            driver,
            mode,
            argv,
            baseline: () => {
              let cached = baselines.get(`${driver.name} | ${mode.name}`);
              if (cached === undefined) {
                cached = driver.run(sub, [], mode.argv);
                baselines.set(`${driver.name} | ${mode.name}`, cached);
              }
              return cached;
            },
            run: (other = argv, script) => driver.run(sub, other, mode.argv, script),
          });
        }),
      );
      await Promise.all(subtests);
    });
  }
}

const UNOBSERVED_FILE = join(ROOT, 'test', 'cli', 'option-matrix-unobserved.txt');
const UNOBSERVED_HEADER = `# Honoured cells of the option x mode matrix that test/cli/option-matrix-observed-N.test.ts do
# not observe through a peer yet, as option<TAB>mode. The list may only shrink. After adding an
# observation or a driver: SOCKCAT_UPDATE_UNOBSERVED=1 node --test dist/test/cli/option-matrix-unobserved.test.js
`;

/** Registers the test that the unobserved cells are exactly the ones listed. */
export function checkUnobservedList(): void {
  test('the cells not yet observed are the ones listed in option-matrix-unobserved.txt', () => {
    const unobserved = new Set(
      honouredCells()
        .filter((cell) => cell.observer === undefined)
        .map((cell) => `${cell.spec.name}\t${cell.mode.name}`),
    );
    if (process.env['SOCKCAT_UPDATE_UNOBSERVED'] === '1') {
      writeFileSync(UNOBSERVED_FILE, `${UNOBSERVED_HEADER}${[...unobserved].join('\n')}\n`);
    }
    const listed = new Set(
      readFileSync(UNOBSERVED_FILE, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
    const added = [...unobserved].filter((cell) => !listed.has(cell));
    const gone = [...listed].filter((cell) => !unobserved.has(cell));
    assert.deepEqual(added, [], 'honoured cells with no observation (add one)');
    assert.deepEqual(gone, [], 'listed cells that are now observed or not honoured (remove them)');
  });
}
