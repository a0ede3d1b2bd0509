// DTLS next to its references, measured in the same run:
// - dtls-handshake: handshakes per second on `sockcat -u -l -k --ssl` and on
//   `openssl s_server -dtls -listen` (both with the cookie exchange, the same ECDSA P-256
//   certificate), one client at a time (s_server serves DTLS clients one after the other), each a
//   full DTLS 1.2 handshake from the library's connectUdp(target, { tls }), closed at once;
// - dtls-echo: bytes per second through `sockcat -u -l --ssl -e /bin/cat` and through
//   `sockcat -u -l -e /bin/cat` (the same echo over plain UDP), from the library's client with at
//   most 32 KiB in flight; the ratio is what DTLS costs.
//
//   node dist/bench/dtls.js [--count 300] [--bytes 16M] [--runs 3]
//
// Every server listens on port 0 and reports its port, and is killed when its run ends; every run
// is bounded by its count (or bytes) and by RUN_TIMEOUT_MS.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectUdp } from '../src/dial/connect-udp.js';
import { createCertificate } from '../src/tls/certificate.js';
import { type BenchRow, isMain, median, option, parseSize, secondsSince } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_COUNT = '300';
const DEFAULT_BYTES = '16M';
const DEFAULT_RUNS = '3';
/** One datagram of the echo bench. */
const DATAGRAM = 1024;
/** Bytes in flight at most in the echo bench. */
const WINDOW = 32 * 1024;
/** Upper bound on one run. */
const RUN_TIMEOUT_MS = 120_000;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'bin.js');

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function start(argv: string[], stream: 'stdout' | 'stderr', pattern: RegExp) {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const source = stream === 'stdout' ? child.stdout! : child.stderr!;
  let text = '';
  source.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    source.on('data', (chunk: string) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, port };
}

function kill(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  return exited;
}

async function withTimeout<T>(child: ChildProcess, run: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    return await run();
  } finally {
    clearTimeout(timer);
    await kill(child);
  }
}

async function handshakes(port: number, count: number): Promise<number> {
  const begin = performance.now();
  for (let done = 0; done < count; done++) {
    const connection = await connectUdp(`127.0.0.1:${port}`, {
      tls: { insecure: true, handshakeTimeout: 10_000 },
    });
    await connection.close();
  }
  return secondsSince(begin);
}

async function echo(port: number, bytes: number, tls: boolean): Promise<number> {
  const target = `127.0.0.1:${port}`;
  const connection = tls
    ? await connectUdp(target, { tls: { insecure: true } })
    : await connectUdp(target);
  const payload = Buffer.alloc(DATAGRAM, 0x61);
  let sent = 0;
  let received = 0;
  let wake: (() => void) | undefined;
  // A lost datagram would leave the window shut for good: the run then fails at the deadline.
  let expired = false;
  const deadline = setTimeout(() => {
    expired = true;
    wake?.();
    void connection.close();
  }, RUN_TIMEOUT_MS);
  const reader = (async () => {
    for await (const datagram of connection) {
      received += datagram.length;
      wake?.();
      if (received >= bytes) return;
    }
  })();
  const begin = performance.now();
  // The first datagram opens the session (and starts the child); the clock runs from here.
  while (sent < bytes) {
    while (sent - received >= WINDOW && !expired) {
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (expired) break;
    await connection.send(payload);
    sent += payload.length;
  }
  await reader;
  const seconds = secondsSince(begin);
  clearTimeout(deadline);
  await connection.close();
  if (expired) throw new Error(`dtls-echo: ${received} of ${bytes} bytes came back in time`);
  return seconds;
}

export async function benchDtls(argv: readonly string[] = []): Promise<BenchRow[]> {
  const count = Number(option(argv, 'count', 'SOCKCAT_BENCH_DTLS_COUNT', DEFAULT_COUNT));
  const bytes = parseSize(option(argv, 'bytes', 'SOCKCAT_BENCH_DTLS_BYTES', DEFAULT_BYTES));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const haveOpenssl = installed('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-dtls-'));
  try {
    const generated = await createCertificate({ names: ['localhost', '127.0.0.1'] });
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, generated.cert, { mode: 0o600 });
    writeFileSync(key, generated.key, { mode: 0o600 });
    const hs = new Map<string, number[]>([['sockcat', []]]);
    if (haveOpenssl) hs.set('s_server', []);
    const echoes = new Map<string, number[]>([
      ['sockcat-dtls', []],
      ['sockcat-udp', []],
    ]);
    for (let run = 0; run < runs; run++) {
      const sockcat = await start(
        [process.execPath, CLI, '-v', '-u', '-l', '-k', '--recv-only', '-m', '1000'].concat([
          '--ssl-cert',
          cert,
          '--ssl-key',
          key,
          '127.0.0.1',
          '0',
        ]),
        'stderr',
        /Listening on 127\.0\.0\.1:(\d+)/,
      );
      hs.get('sockcat')!.push(
        await withTimeout(sockcat.child, () => handshakes(sockcat.port, count)),
      );
      if (haveOpenssl) {
        const server = await start(
          ['openssl', 's_server', '-dtls', '-listen', '-accept', '127.0.0.1:0'].concat([
            '-cert',
            cert,
            '-key',
            key,
            '-quiet',
          ]),
          'stdout',
          /ACCEPT \S*:(\d+)/,
        );
        hs.get('s_server')!.push(
          await withTimeout(server.child, () => handshakes(server.port, count)),
        );
      }
      for (const [name, tls] of [
        ['sockcat-dtls', true],
        ['sockcat-udp', false],
      ] as const) {
        const server = await start(
          [process.execPath, CLI, '-v', '-u', '-l', ...(tls ? ['--ssl'] : [])].concat([
            '-e',
            '/bin/cat',
            '127.0.0.1',
            '0',
          ]),
          'stderr',
          /Listening on 127\.0\.0\.1:(\d+)/,
        );
        echoes
          .get(name)!
          .push(await withTimeout(server.child, () => echo(server.port, bytes, tls)));
      }
    }
    const hsRate = (name: string) => count / median(hs.get(name)!);
    const echoRate = (name: string) => bytes / median(echoes.get(name)!) / 1e6;
    const rows: BenchRow[] = [...hs.keys()].map((name) => ({
      bench: 'dtls-handshake',
      case: name,
      value: hsRate(name),
      unit: 'hs/s',
      note: [
        `${count} x${runs}, one at a time [${hs
          .get(name)!
          .map((s) => (count / s).toFixed(0))
          .join(' ')}]`,
        ...(name === 'sockcat' && hs.has('s_server')
          ? [`vs s_server ${(hsRate('sockcat') / hsRate('s_server')).toFixed(2)}x`]
          : []),
      ].join(', '),
    }));
    for (const name of echoes.keys()) {
      rows.push({
        bench: 'dtls-echo',
        case: name,
        value: echoRate(name),
        unit: 'MB/s',
        note: [
          `${bytes} bytes in ${DATAGRAM}-byte datagrams x${runs} [${echoes
            .get(name)!
            .map((s) => (bytes / s / 1e6).toFixed(1))
            .join(' ')}]`,
          ...(name === 'sockcat-dtls'
            ? [`vs plain UDP ${(echoRate('sockcat-dtls') / echoRate('sockcat-udp')).toFixed(2)}x`]
            : []),
        ].join(', '),
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchDtls(process.argv.slice(2)));
}
