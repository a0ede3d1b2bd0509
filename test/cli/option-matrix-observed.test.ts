// The option × mode matrix, observed: every cell that src/cli/option-matrix.ts calls honoured is
// run through the built CLI in its mode against a real peer on loopback, and the option's effect
// is checked where the peer, stdout, the --json events, a file or `ss` can see it, against the
// same run without the option. Cells with no observation yet are listed, by name, in
// option-matrix-unobserved.txt; the list may only shrink (a new honoured cell needs an
// observation, and a cell observed or no longer honoured must leave the list).
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
import { runCli } from '../helpers/child.js';
import {
  type Driver,
  type Exchange,
  tcpConnectDriver,
  tcpListenDriver,
  udpConnectDriver,
} from '../helpers/matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer, okRun } from '../helpers/matrix-observe.js';
import { chooseServe, SERVE_OBSERVERS } from '../helpers/matrix-serve.js';
import { ROOT } from '../helpers/paths.js';

const DRIVERS = {
  tcpConnect: tcpConnectDriver(),
  tcpConnectExec: tcpConnectDriver({ echoes: true }),
  tcpListen: tcpListenDriver(),
  tcpListenKeepOpen: tcpListenDriver({ keepOpen: true }),
  tcpListenExec: tcpListenDriver({ echoes: true }),
  tcpListenKeepOpenExec: tcpListenDriver({ keepOpen: true, echoes: true }),
  udpConnect: udpConnectDriver(),
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
  if (transport === 'udp' && role === 'connect' && io === 'stdio') return DRIVERS.udpConnect;
  return undefined;
}

/** Each family of drivers picks one for a cell's layers, or passes. */
const CHOOSERS: ReadonlyArray<(layers: Layers, options: Options) => Driver | undefined> = [
  plainStreams,
  chooseServe,
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

const CORE_OBSERVERS: Readonly<Record<string, Observer>> = {
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
      assert.ok(eventsNamed(withIt, 'log').length > 0, `-v logs: ${withIt.stderr}`);
      assert.equal(eventsNamed(without, 'log').length, 0, without.stderr);
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
    except: EXEC_DRIVERS,
    async observe({ run, baseline, driver }) {
      const [withIt, without] = [await run(), await baseline()];
      assertDelivered(withIt, driver, '-C');
      assert.match(withIt.received.toString(), /from-stdin\r\n/);
      assert.doesNotMatch(without.received.toString(), /\r\n/);
    },
  },
  'send-only': {
    except: [DRIVERS.udpConnect.name],
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

const OBSERVERS: Readonly<Record<string, Observer>> = { ...CORE_OBSERVERS, ...SERVE_OBSERVERS };

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
        !(driver.unsuited?.includes(spec.name) ?? false);
      cells.push({ spec, mode, driver, observer: applies ? observer : undefined });
    }
  }
  return cells;
}

const baselines = new Map<string, Promise<Exchange>>();

const observedByOption = new Map<string, Cell[]>();
for (const cell of honouredCells()) {
  if (cell.observer === undefined) continue;
  const list = observedByOption.get(cell.spec.name) ?? [];
  list.push(cell);
  observedByOption.set(cell.spec.name, list);
}
for (const [option, cells] of observedByOption) {
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
            let cached = baselines.get(mode.name);
            if (cached === undefined) {
              cached = driver.run(sub, [], mode.argv);
              baselines.set(mode.name, cached);
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

const UNOBSERVED_FILE = join(ROOT, 'test', 'cli', 'option-matrix-unobserved.txt');
const UNOBSERVED_HEADER = `# Honoured cells of the option x mode matrix that test/cli/option-matrix-observed.test.ts does
# not observe through a peer yet, as option<TAB>mode. The list may only shrink. After adding an
# observation or a driver: SOCKCAT_UPDATE_UNOBSERVED=1 node --test dist/test/cli/option-matrix-observed.test.js
`;

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
