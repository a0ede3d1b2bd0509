// Every benchmark in sequence, then one table. `npm run bench` (after `npx tsc -p .`).
//
//   node dist/bench/run.js [--quick] [--only recv-line,delimiter-search,cli-bulk,broker-fanout,
//                                            proxy-throughput,native-sockets,connect-startup,
//                                            tls-handshake,dtls,
//                                            spawn-round-trip]
//
// Each bench is also a program of its own: node dist/bench/<name>.js with the flags listed at the
// top of its file. --quick shrinks every size about tenfold and runs each case once: a smoke run,
// not a measurement. Other flags are passed to every bench (e.g. --runs 5).
import { benchBrokerFanout } from './broker-fanout.js';
import { benchCliBulk, TLS_CASES } from './cli-bulk.js';
import { type BenchRow, flag, option, printTable } from './common.js';
import { benchConnectStartup } from './connect-startup.js';
import { benchDelimiterSearch } from './delimiter-search.js';
import { benchDtls } from './dtls.js';
import { benchNativeSockets } from './native-sockets.js';
import { benchProxyThroughput } from './proxy-throughput.js';
import { benchRecvLine } from './recv-line.js';
import { benchSpawnRoundTrip } from './spawn-round-trip.js';
import { benchTlsHandshake } from './tls-handshake.js';

// ---- parameters ------------------------------------------------------------------------------
type Bench = (argv: readonly string[]) => Promise<BenchRow[]>;
const BENCHES: Record<string, { run: Bench; quick: string[] }> = {
  'recv-line': { run: benchRecvLine, quick: ['--bytes', '10M', '--runs', '1'] },
  'delimiter-search': {
    run: benchDelimiterSearch,
    quick: ['--bytes', '10M', '--long', '1M', '--runs', '1'],
  },
  'cli-bulk': { run: benchCliBulk, quick: ['--bytes', '100M', '--runs', '1'] },
  'broker-fanout': { run: benchBrokerFanout, quick: ['--bytes', '4M', '--seconds', '3'] },
  'proxy-throughput': { run: benchProxyThroughput, quick: ['--bytes', '64M', '--runs', '1'] },
  'native-sockets': {
    run: benchNativeSockets,
    quick: ['--messages', '20000', '--pings', '2000', '--runs', '1'],
  },
  'tls-bulk': {
    run: (argv) =>
      benchCliBulk(['--cases', TLS_CASES, '--bytes', '512M', '--verify', '32M', ...argv]),
    quick: ['--bytes', '64M', '--runs', '1'],
  },
  'connect-startup': { run: benchConnectStartup, quick: ['--pairs', '3'] },
  'tls-handshake': { run: benchTlsHandshake, quick: ['--count', '200', '--runs', '1'] },
  'spawn-round-trip': { run: benchSpawnRoundTrip, quick: ['--rounds', '2000', '--runs', '1'] },
  dtls: { run: benchDtls, quick: ['--count', '50', '--bytes', '2M', '--runs', '1'] },
};

const argv = process.argv.slice(2);
const quick = flag(argv, 'quick');
const only = option(argv, 'only', 'SOCKCAT_BENCH_ONLY', Object.keys(BENCHES).join(',')).split(',');
const passed = argv.filter(
  (arg, index) => arg !== '--quick' && arg !== '--only' && argv[index - 1] !== '--only',
);

const rows: BenchRow[] = [];
for (const name of only) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown bench ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.stderr.write(`bench: ${name}...\n`);
  const started = performance.now();
  // Later flags win: the quick sizes first, then what was given on the command line.
  rows.push(...(await bench.run([...(quick ? bench.quick : []), ...passed])));
  process.stderr.write(
    `bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
printTable(rows);
