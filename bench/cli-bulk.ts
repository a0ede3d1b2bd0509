// net-pipe through the CLI at both ends: `head -c BYTES /dev/zero | sockcat 127.0.0.1 P` into
// `sockcat -l 127.0.0.1 P > /dev/null`, in GB/s, next to reference tools measured in the same run.
//
//   node dist/bench/cli-bulk.js [--bytes 1G] [--runs 3] [--cases sockcat,node-pipe,ncat]
//                               [--receiver-stdin open|null] [--alt PATH/TO/bin.js]
//
// The clock starts when the sending pipeline starts (the receiver is already listening) and stops
// when both sides have exited, so the sender's start-up is included, as in ../shared/bench/compare.
// sockcat's receiver listens on port 0 and reports the port with -v; peers that cannot (ncat 7.93
// prints the port it was given) get a free port in 52000-52999, checked with `ss`.
//
// The receiver's stdin is a pipe held open for the run (default, as a user's terminal would be),
// or /dev/null with --receiver-stdin null (compare's shape: the receiver then sends FIN at once).
// --alt adds, for each case that runs this build, a twin `NAME-alt` running another build's file
// instead: an A/B of a change, interleaved with the other cases. --verify SIZE first sends SIZE of
// random bytes through every case and compares the receiver's output by SHA-256.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  formatSize,
  freePort,
  isMain,
  median,
  option,
  parseSize,
  secondsSince,
} from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_BYTES = '1G';
const DEFAULT_RUNS = '3';
/** Upper bound on one run (start-up, transfer and exit of both sides). */
const RUN_TIMEOUT_MS = 120_000;
/** Ports for peers that cannot listen on port 0 and report it. */
const PORT_FIRST = 52_800;
const PORT_LAST = 52_999;

// The bundled CLI, as package.json's bin runs it.
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'sockcat.js');
const NODE = process.execPath;

// The smallest Node netcat: stdin.pipe(socket) / socket.pipe(stdout). The floor for a Node CLI.
const NODE_RECEIVER = `const net = require('node:net');
const server = net.createServer((socket) => { server.close(); socket.pipe(process.stdout); });
server.listen(0, '127.0.0.1', () => console.error('sockcat: Listening on 127.0.0.1:' + server.address().port));`;
const NODE_SENDER = `const net = require('node:net');
const socket = net.connect(+process.argv.at(-1), '127.0.0.1', () => process.stdin.pipe(socket));`;

interface Tool {
  /**
   * Receiver argv; `{port}` is replaced by the chosen port, or 0 when it reports its own. Each
   * receiver is told not to read its stdin (`--recv-only`, nc.openbsd's `-d`), so that it exits at
   * the sender's FIN whatever its stdin is (docs/eof.md row 2l: a listener whose stdin is an open
   * pipe goes on sending it; row 7: `--recv-only` ends at the peer's FIN).
   */
  receiver: string[];
  /** Sender argv, fed by `head -c BYTES /dev/zero`. */
  sender: string[];
  /** The receiver prints `sockcat: Listening on HOST:PORT` on stderr for port 0. */
  reportsPort: boolean;
  /** Binary that must be installed for the case to run. */
  needs?: string;
}

const TOOLS: Record<string, Tool> = {
  sockcat: {
    receiver: [NODE, CLI, '-lv', '--recv-only', '127.0.0.1', '{port}'],
    sender: [NODE, CLI, '127.0.0.1', '{port}'],
    reportsPort: true,
  },
  'node-pipe': {
    receiver: [NODE, '-e', NODE_RECEIVER],
    sender: [NODE, '-e', NODE_SENDER, '{port}'],
    reportsPort: true,
  },
  ncat: {
    receiver: ['ncat', '-l', '--recv-only', '127.0.0.1', '{port}'],
    sender: ['ncat', '127.0.0.1', '{port}'],
    reportsPort: false,
    needs: 'ncat',
  },
  'nc.openbsd': {
    receiver: ['nc.openbsd', '-l', '-d', '127.0.0.1', '{port}'],
    sender: ['nc.openbsd', '-N', '127.0.0.1', '{port}'],
    reportsPort: false,
    needs: 'nc.openbsd',
  },
};
// TLS through the CLI (`npm run bench` runs them as tls-bulk): each receiver makes a temporary
// certificate (sockcat: ECDSA P-256; ncat 7.93: RSA 2048) before listening, outside the clock.
// The mixed pairs put sockcat against ncat's OpenSSL loop on the other side of the same stream.
const SOCKCAT_TLS_RECEIVER = [NODE, CLI, '-lv', '--recv-only', '--ssl', '127.0.0.1', '{port}'];
const SOCKCAT_TLS_SENDER = [NODE, CLI, '--ssl', '127.0.0.1', '{port}'];
const NCAT_TLS_RECEIVER = ['ncat', '-l', '--recv-only', '--ssl', '127.0.0.1', '{port}'];
const NCAT_TLS_SENDER = ['ncat', '--ssl', '127.0.0.1', '{port}'];
TOOLS['sockcat-tls'] = {
  receiver: SOCKCAT_TLS_RECEIVER,
  sender: SOCKCAT_TLS_SENDER,
  reportsPort: true,
};
TOOLS['ncat-tls'] = {
  receiver: NCAT_TLS_RECEIVER,
  sender: NCAT_TLS_SENDER,
  reportsPort: false,
  needs: 'ncat',
};
TOOLS['sockcat-to-ncat-tls'] = {
  receiver: NCAT_TLS_RECEIVER,
  sender: SOCKCAT_TLS_SENDER,
  reportsPort: false,
  needs: 'ncat',
};
TOOLS['ncat-to-sockcat-tls'] = {
  receiver: SOCKCAT_TLS_RECEIVER,
  sender: NCAT_TLS_SENDER,
  reportsPort: true,
  needs: 'ncat',
};
// The smallest Node TLS netcat, the floor for any Node program here: the same pipes over
// tls.connect / tls.createServer, with a certificate made once for the run (SOCKCAT_BENCH_TLS_DIR).
const NODE_TLS_RECEIVER = `const tls = require('node:tls'), fs = require('node:fs'), dir = process.env.SOCKCAT_BENCH_TLS_DIR;
const server = tls.createServer({ cert: fs.readFileSync(dir + '/cert.pem'), key: fs.readFileSync(dir + '/key.pem') },
  (socket) => { server.close(); socket.pipe(process.stdout); });
server.listen(0, '127.0.0.1', () => console.error('sockcat: Listening on 127.0.0.1:' + server.address().port));`;
const NODE_TLS_SENDER = `const tls = require('node:tls');
const socket = tls.connect({ port: +process.argv.at(-1), host: '127.0.0.1', rejectUnauthorized: false },
  () => process.stdin.pipe(socket));`;
TOOLS['node-tls'] = {
  receiver: [NODE, '-e', NODE_TLS_RECEIVER],
  sender: [NODE, '-e', NODE_TLS_SENDER, '{port}'],
  reportsPort: true,
};
/** The TLS cases, as `npm run bench` runs them (tls-bulk). */
export const TLS_CASES = 'sockcat-tls,ncat-tls,node-tls,sockcat-to-ncat-tls,ncat-to-sockcat-tls';

/** node-tls's certificate, made once per run in a private temp dir. */
async function prepareNodeTls(): Promise<() => void> {
  const { createCertificate } = await import('../src/tls/certificate.js');
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-tls-'));
  const made = await createCertificate({ names: ['localhost', '127.0.0.1'] });
  writeFileSync(join(dir, 'cert.pem'), made.cert);
  writeFileSync(join(dir, 'key.pem'), made.key, { mode: 0o600 });
  process.env['SOCKCAT_BENCH_TLS_DIR'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
const DEFAULT_CASES = 'sockcat,node-pipe,ncat,nc.openbsd';

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function waitListening(port: number, child: ChildProcess, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (child.exitCode !== null)
        return reject(new Error(`receiver exited with ${child.exitCode}`));
      const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
      if (out.trim() !== '') return resolve();
      if (Date.now() > deadline) return reject(new Error(`receiver not listening on ${port}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

function shellQuote(word: string): string {
  return /^[\w./:=,+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Kill a child started with `detached: true` (its own process group) by its group id. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

interface RunResult {
  seconds: number;
  /** CPU seconds (user + system) of the receiver and of the sending tool, when /usr/bin/time runs. */
  receiverCpu?: number;
  senderCpu?: number;
  /** What the receiver said it received, when it says (sockcat -v). */
  received?: number;
}

const TIME = '/usr/bin/time';
const CPU_LINE = /cli-bulk-cpu ([\d.]+) ([\d.]+)/;

/** argv prefixed with /usr/bin/time (when installed) so that the tool's CPU time is reported. */
function withCpuTime(argv: string[], timed: boolean): string[] {
  return timed ? [TIME, '-f', 'cli-bulk-cpu %U %S', ...argv] : argv;
}

function cpuSeconds(stderr: string): number | undefined {
  const match = CPU_LINE.exec(stderr);
  return match ? Number(match[1]) + Number(match[2]) : undefined;
}

/** Collect a child's stderr as text; resolves when it closes. */
function collect(child: ChildProcess, onText?: (all: string) => void): Promise<string> {
  let text = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    text += chunk;
    onText?.(text);
  });
  return once(child.stderr!, 'close').then(() => text);
}

/** One transfer: `source | sender` into `receiver > output` (default /dev/null). */
async function transfer(
  tool: Tool,
  source: string,
  receiverStdin: 'open' | 'null',
  timed: boolean,
  output = '/dev/null',
): Promise<RunResult> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const fixedPort = tool.reportsPort ? 0 : freePort(PORT_FIRST, PORT_LAST);
  const fill = (argv: string[], port: number) => argv.map((a) => a.replace('{port}', String(port)));
  const devNull = openSync('/dev/null', 'w');
  const receiverOut = output === '/dev/null' ? devNull : openSync(output, 'w');
  let receiver: ChildProcess | undefined;
  let sender: ChildProcess | undefined;
  const timer = setTimeout(() => {
    if (receiver) killGroup(receiver);
    if (sender) killGroup(sender);
  }, RUN_TIMEOUT_MS);
  try {
    const [command, ...args] = withCpuTime(fill(tool.receiver, fixedPort), timed);
    receiver = spawn(command!, args, {
      stdio: [receiverStdin === 'open' ? 'pipe' : 'ignore', receiverOut, 'pipe'],
      detached: true,
    });
    const receiverExit = once(receiver, 'exit');
    let reportPort: (port: number) => void = () => {};
    const listening = new Promise<number>((resolve) => {
      reportPort = resolve;
    });
    const receiverStderr = collect(receiver, (text) => {
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(text);
      if (match) reportPort(Number(match[1]));
    });
    let port = fixedPort;
    if (tool.reportsPort) {
      const early = receiverExit.then(([code]) => {
        throw new Error(`receiver exited with ${code} before listening`);
      });
      early.catch(() => {});
      port = await Promise.race([listening, early]);
    } else {
      await waitListening(port, receiver, deadline);
    }

    const tail = withCpuTime(fill(tool.sender, port), timed).map(shellQuote).join(' ');
    const start = performance.now();
    sender = spawn('sh', ['-c', `${source} | ${tail}`], {
      stdio: ['ignore', devNull, 'pipe'],
      detached: true,
    });
    const senderStderr = collect(sender);
    const [senderCode] = (await once(sender, 'exit')) as [number | null];
    const [receiverCode] = (await receiverExit) as [number | null];
    const seconds = secondsSince(start);
    const [receiverText, senderText] = await Promise.all([receiverStderr, senderStderr]);
    if (senderCode !== 0 || receiverCode !== 0) {
      throw new Error(
        `sender exited with ${senderCode}, receiver with ${receiverCode}: ${senderText}${receiverText}`,
      );
    }
    const result: RunResult = { seconds };
    const receiverCpu = cpuSeconds(receiverText);
    const senderCpu = cpuSeconds(senderText);
    if (receiverCpu !== undefined) result.receiverCpu = receiverCpu;
    if (senderCpu !== undefined) result.senderCpu = senderCpu;
    const summary = /(\d+) bytes sent, (\d+) bytes received/.exec(receiverText);
    if (summary) result.received = Number(summary[2]);
    return result;
  } finally {
    clearTimeout(timer);
    if (receiver) {
      receiver.stdin?.destroy();
      killGroup(receiver);
    }
    if (sender) killGroup(sender);
    if (receiverOut !== devNull) closeSync(receiverOut);
    closeSync(devNull);
  }
}

/**
 * Before any figure: `bytes` of random data through each case, the receiver's output compared
 * with the input by SHA-256 (the timed runs send zeros to /dev/null, where only sockcat's -v
 * count can be checked). Throws on the first difference.
 */
async function checkIntegrity(
  cases: readonly string[],
  bytes: number,
  receiverStdin: 'open' | 'null',
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-'));
  try {
    const input = join(dir, 'input');
    const data = randomBytes(bytes);
    writeFileSync(input, data);
    const expected = createHash('sha256').update(data).digest('hex');
    for (const name of cases) {
      const output = join(dir, `output-${name}`);
      await transfer(TOOLS[name]!, `cat ${input}`, receiverStdin, false, output);
      const got = createHash('sha256').update(readFileSync(output)).digest('hex');
      if (got !== expected) {
        throw new Error(`${name}: ${formatSize(bytes)} of random bytes arrived altered`);
      }
      rmSync(output);
    }
    process.stderr.write(
      `cli-bulk: integrity ok, ${formatSize(bytes)} through ${cases.join(', ')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCliBulk(argv: readonly string[] = []): Promise<BenchRow[]> {
  const bytes = parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_BULK_BYTES', DEFAULT_BYTES));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const receiverStdin = option(argv, 'receiver-stdin', 'SOCKCAT_BENCH_RECEIVER_STDIN', 'open');
  if (receiverStdin !== 'open' && receiverStdin !== 'null') {
    throw new Error(`--receiver-stdin takes open or null, not ${JSON.stringify(receiverStdin)}`);
  }
  const verify = option(argv, 'verify', 'SOCKCAT_BENCH_VERIFY_BYTES', '0');
  const verifyBytes = verify === '0' ? 0 : parseSize(verify);
  const wanted = option(argv, 'cases', 'SOCKCAT_BENCH_BULK_CASES', DEFAULT_CASES).split(',');
  const alt = option(argv, 'alt', 'SOCKCAT_BENCH_ALT_CLI', '');
  if (alt !== '') {
    // Every wanted case that runs this build gets a twin running the other one.
    const swap = (words: string[]) => words.map((word) => (word === CLI ? alt : word));
    for (const name of [...wanted]) {
      const tool = TOOLS[name];
      if (!tool || ![...tool.receiver, ...tool.sender].includes(CLI)) continue;
      TOOLS[`${name}-alt`] = { ...tool, receiver: swap(tool.receiver), sender: swap(tool.sender) };
      wanted.push(`${name}-alt`);
    }
  }
  const cases = wanted.filter((name) => {
    const tool = TOOLS[name];
    if (!tool) throw new Error(`unknown case ${name}; known: ${Object.keys(TOOLS).join(', ')}`);
    if (tool.needs && !installed(tool.needs)) {
      process.stderr.write(`cli-bulk: ${tool.needs} is not installed; its case is skipped\n`);
      return false;
    }
    return true;
  });
  const timed = installed(TIME);
  const seconds = new Map<string, number[]>(cases.map((name) => [name, []]));
  const cpu = new Map<string, { send: number[]; recv: number[] }>(
    cases.map((name) => [name, { send: [], recv: [] }]),
  );
  const cleanup = cases.includes('node-tls') ? await prepareNodeTls() : () => {};
  try {
    if (verifyBytes > 0) await checkIntegrity(cases, verifyBytes, receiverStdin);
    for (let run = 0; run < runs; run++) {
      for (const name of cases) {
        const source = `head -c ${bytes} /dev/zero`;
        const result = await transfer(TOOLS[name]!, source, receiverStdin, timed);
        if (result.received !== undefined && result.received !== bytes) {
          throw new Error(`${name}: the receiver got ${result.received} of ${bytes} bytes`);
        }
        seconds.get(name)!.push(result.seconds);
        if (result.senderCpu !== undefined) cpu.get(name)!.send.push(result.senderCpu);
        if (result.receiverCpu !== undefined) cpu.get(name)!.recv.push(result.receiverCpu);
      }
    }
  } finally {
    cleanup();
  }
  const gigabytes = bytes / 1e9;
  const cpuNote = (name: string) => {
    const { send, recv } = cpu.get(name)!;
    if (send.length === 0 || recv.length === 0) return [];
    const s = median(send) / gigabytes;
    const r = median(recv) / gigabytes;
    return [`CPU s/GB send ${s.toFixed(2)} recv ${r.toFixed(2)} total ${(s + r).toFixed(2)}`];
  };
  const rate = (name: string) => bytes / 1e9 / median(seconds.get(name)!);
  return cases.map((name) => {
    const ratios = cases
      .filter((other) => other !== name && name.startsWith('sockcat'))
      .map((other) => `vs ${other} ${(rate(name) / rate(other)).toFixed(2)}x`);
    const spread = seconds.get(name)!.map((s) => (bytes / 1e9 / s).toFixed(2));
    return {
      bench: 'cli-bulk net-pipe',
      case: name,
      value: rate(name),
      unit: 'GB/s',
      note: [
        `${formatSize(bytes)} x${runs} [${spread.join(' ')}]`,
        ...cpuNote(name),
        ...ratios,
      ].join(', '),
    };
  });
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchCliBulk(process.argv.slice(2)));
}
