// TLS handshakes per second on a server: sockcat's `-l -k --ssl` next to `openssl s_server`,
// both serving the same ECDSA P-256 certificate, driven by the same Node client in this process.
//
//   node dist/bench/tls-handshake.js [--count 2000] [--concurrency 8] [--runs 3]
//
// Each connection is a full TLS 1.3 handshake (no session resumption), closed as soon as it is
// done. The count bounds every run; each server listens on port 0 and reports the port (sockcat:
// "Listening on", s_server: "ACCEPT"), and is killed when its run ends. The certificate is made
// at start in a private temporary directory, removed at the end.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createCertificate } from '../src/tls/certificate.js';
import { type BenchRow, isMain, median, option, secondsSince } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_COUNT = '2000';
const DEFAULT_CONCURRENCY = '8';
const DEFAULT_RUNS = '3';
/** Upper bound on one run. */
const RUN_TIMEOUT_MS = 120_000;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'bin.js');

interface ServerCase {
  argv: (cert: string, key: string) => string[];
  /** Where the server prints its port, and how. */
  stream: 'stdout' | 'stderr';
  port: RegExp;
  needs?: string;
}

const CASES: Record<string, ServerCase> = {
  sockcat: {
    argv: (cert, key) => [
      process.execPath,
      CLI,
      '-lkv',
      '-m',
      '1000',
      '--recv-only',
      '--ssl-cert',
      cert,
      '--ssl-key',
      key,
      '127.0.0.1',
      '0',
    ],
    stream: 'stderr',
    port: /Listening on 127\.0\.0\.1:(\d+)/,
  },
  s_server: {
    argv: (cert, key) => [
      'openssl',
      's_server',
      '-accept',
      '127.0.0.1:0',
      '-cert',
      cert,
      '-key',
      key,
      '-rev',
    ],
    stream: 'stdout',
    port: /ACCEPT \S*:(\d+)/,
    needs: 'openssl',
  },
};

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startServer(server: ServerCase, cert: string, key: string) {
  const [command, ...args] = server.argv(cert, key);
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stream = server.stream === 'stdout' ? child.stdout! : child.stderr!;
  let text = '';
  stream.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    stream.on('data', (chunk: string) => {
      text += chunk;
      const match = server.port.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  // Keep draining both pipes so that a chatty server never blocks.
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, port };
}

function handshake(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // end(), not destroy(): the client's Finished must reach the server for its handshake to end.
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.end();
    });
    socket.resume();
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
}

/** `count` handshakes, `concurrency` at a time; resolves with the seconds taken. */
async function drive(port: number, count: number, concurrency: number): Promise<number> {
  let started = 0;
  const start = performance.now();
  const worker = async () => {
    while (started < count) {
      started++;
      await handshake(port);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return secondsSince(start);
}

function kill(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  return exited;
}

export async function benchTlsHandshake(argv: readonly string[] = []): Promise<BenchRow[]> {
  const count = Number(option(argv, 'count', 'SOCKCAT_BENCH_TLS_COUNT', DEFAULT_COUNT));
  const concurrency = Number(
    option(argv, 'concurrency', 'SOCKCAT_BENCH_TLS_CONCURRENCY', DEFAULT_CONCURRENCY),
  );
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const names = Object.keys(CASES).filter((name) => {
    const needs = CASES[name]!.needs;
    if (needs && !installed(needs)) {
      process.stderr.write(`tls-handshake: ${needs} is not installed; its case is skipped\n`);
      return false;
    }
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-bench-tls-'));
  try {
    const generated = await createCertificate({ names: ['localhost', '127.0.0.1'] });
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, generated.cert, { mode: 0o600 });
    writeFileSync(key, generated.key, { mode: 0o600 });
    const seconds = new Map<string, number[]>(names.map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const name of names) {
        const { child, port } = await startServer(CASES[name]!, cert, key);
        const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
        try {
          seconds.get(name)!.push(await drive(port, count, concurrency));
        } finally {
          clearTimeout(timer);
          await kill(child);
        }
      }
    }
    const rate = (name: string) => count / median(seconds.get(name)!);
    return names.map((name) => ({
      bench: 'tls-handshake',
      case: name,
      value: rate(name),
      unit: 'hs/s',
      note: [
        `${count} x${runs}, ${concurrency} at a time [${seconds
          .get(name)!
          .map((s) => (count / s).toFixed(0))
          .join(' ')}]`,
        ...names
          .filter((other) => other !== name && name === 'sockcat')
          .map((other) => `vs ${other} ${(rate(name) / rate(other)).toFixed(2)}x`),
      ].join(', '),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { printTable } = await import('./common.js');
  printTable(await benchTlsHandshake(process.argv.slice(2)));
}
