// Soak: sockcat's long-running servers under a mixed, hostile load on loopback, watched for
// growth. Not a test (not in npm test) and not a speed figure: `npm run soak`.
//
//   node dist/bench/soak.js [--seconds 480] [--report 30] [--fuzz-runs 100000]
//
// Servers, each its own sockcat process (and process group), on 127.0.0.1 ports from
// 52100-52199 checked free with `ss`:
//   keep    sockcat -l -k              tls     sockcat -l -k --ssl
//   broker  sockcat --broker           http    sockcat -l --proxy-type http
//   socks   sockcat -l --proxy-type socks5 (both proxies reach an echo origin in this process)
// Load, bounded in count (--max-actions) and time (--seconds), a few workers at once: connects
// that send and close, resets, half-closes, stalled handshakes (silent TLS clients, half a proxy
// request, half a SOCKS greeting), slow readers, oversized proxy headers, random bytes
// (fast-check). Every 2 s each server also gets a legitimate client, which must be served.
// Every --report seconds: each server's fd count, RSS and child processes (from /proc) and its
// event-loop delay (a probe loaded with --import reports it). It fails (exit 1) if a legitimate
// client was refused, or if a figure at the end is far above its level in the first third.
// Before the load: the HTTP proxy request parser and the Digest verifier fuzzed, --fuzz-runs each.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { connect } from '../src/dial/connect.js';
import { DigestVerifier } from '../src/proxy/digest-server.js';
import { digestVerifierProperty, headParsersProperty } from '../test/helpers/proxy-fuzz.js';
import { option } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const SECONDS = Number(option(argv, 'seconds', 'SOCKCAT_SOAK_SECONDS', '480'));
const REPORT_SECONDS = Number(option(argv, 'report', 'SOCKCAT_SOAK_REPORT', '30'));
const FUZZ_RUNS = Number(option(argv, 'fuzz-runs', 'SOCKCAT_SOAK_FUZZ_RUNS', '100000'));
const MAX_ACTIONS = Number(option(argv, 'max-actions', 'SOCKCAT_SOAK_MAX_ACTIONS', '2000000'));
/** Load actions in flight at once. */
const WORKERS = 40;
/** Connections held open (stalled, slow) at once, all servers together. */
const MAX_HELD = 400;
/** How long a stalled or slow connection is held at most. */
const HOLD_MS = 6000;
/** A legitimate client that takes longer than this counts as refused. */
const LEGIT_TIMEOUT_MS = 20_000;
const PORT_FIRST = 52_100;
const PORT_LAST = 52_199;
const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli', 'bin.js');
const PROBE = join(HERE, 'soak-probe.js');

type Name = 'keep' | 'tls' | 'broker' | 'http' | 'socks';
const MODES: Record<Name, string[]> = {
  keep: ['-l', '-k'],
  tls: ['-l', '-k', '--ssl'],
  broker: ['--broker'],
  http: ['-l', '--proxy-type', 'http'],
  socks: ['-l', '--proxy-type', 'socks5'],
};

interface Server {
  name: Name;
  child: ChildProcess;
  port: number;
  probe: string;
  /** Markers of legitimate clients the server printed on stdout. */
  seen: Set<string>;
  /** The end of its stdout so far, for a marker split between two reads. */
  tail: string;
}

interface Sample {
  t: number;
  fds: number;
  rssKiB: number;
  children: number;
  loopP99Ms: number;
}

// ---- helpers ---------------------------------------------------------------------------------
function usedPorts(): Set<number> {
  const text = execFileSync('ss', ['-Htan'], { encoding: 'utf8' });
  const ports = new Set<number>();
  for (const match of text.matchAll(/:(\d+)\s/g)) ports.add(Number(match[1]));
  return ports;
}

function freePort(taken: Set<number>): number {
  const used = usedPorts();
  for (let port = PORT_FIRST; port <= PORT_LAST; port++) {
    if (!used.has(port) && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_FIRST}-${PORT_LAST}`);
}

function waitFor(child: ChildProcess, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms`)), ms);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
  });
}

async function startServer(name: Name, dir: string, taken: Set<number>): Promise<Server> {
  const port = freePort(taken);
  const probe = join(dir, `${name}.probe`);
  const child = spawn(process.execPath, [CLI, '-v', ...MODES[name], '127.0.0.1', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: {
      ...process.env,
      SOCKCAT_SOAK_PROBE: probe,
      NODE_OPTIONS: `--import=${pathToFileURL(PROBE).href}`,
    },
  });
  const server: Server = { name, child, port, probe, seen: new Set(), tail: '' };
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = server.tail + chunk.toString('latin1');
    for (const match of text.matchAll(MARKER)) server.seen.add(match[0]);
    // Only an unfinished line is carried over: a marker is seen once.
    server.tail = text.slice(text.lastIndexOf('\n') + 1).slice(-64);
  });
  await waitFor(child, /Listening on 127\.0\.0\.1:\d+/, 30_000);
  child.stderr!.resume();
  return server;
}

function stopServer(server: Server): void {
  const pid = server.child.pid;
  if (pid === undefined || server.child.exitCode !== null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function sample(server: Server, t: number): Sample {
  const pid = server.child.pid ?? 0;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let children = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children++;
    } catch {
      // The process ended while we looked.
    }
  }
  let loopP99Ms = 0;
  try {
    const lines = readFileSync(server.probe, 'utf8').trim().split('\n');
    loopP99Ms = (JSON.parse(lines.at(-1) ?? '{}') as { p99?: number }).p99 ?? 0;
  } catch {
    // No probe report yet.
  }
  return { t, fds, rssKiB, children, loopP99Ms };
}

/**
 * Open a hostile TCP connection from a random 127.0.0.2-254 (the legitimate clients come from
 * 127.0.0.1, as a real client shares no address with the flood); resolves once connected.
 */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const localAddress = `127.0.0.${2 + Math.floor(Math.random() * 253)}`;
    const socket = netConnect({ port, host: '127.0.0.1', localAddress });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Hold a socket for up to HOLD_MS, then destroy it; resolves when it is gone. */
function hold(socket: Socket, ms = HOLD_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function randomBytes(): Buffer {
  return Buffer.from(fc.sample(fc.uint8Array({ minLength: 1, maxLength: 4096 }), 1)[0]!);
}

/** A legitimate client's line: `legit-NAME-N-RANDOM`. */
const MARKER = /legit-[a-z]+-\d+-[a-z0-9]+\n/g;

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

// ---- the load --------------------------------------------------------------------------------
let held = 0;

async function hostile(server: Server, originPort: number): Promise<void> {
  const socket = await open(server.port);
  const kind = pick(['send-close', 'reset', 'half-close', 'random', 'stall', 'slow', 'oversized']);
  if ((kind === 'stall' || kind === 'slow') && held >= MAX_HELD) {
    socket.destroy();
    return;
  }
  switch (kind) {
    case 'send-close':
      socket.end(`hello ${Math.random()}\n`);
      socket.resume();
      return hold(socket, 1000);
    case 'reset':
      socket.write('x');
      socket.resetAndDestroy();
      return;
    case 'half-close':
      socket.end();
      socket.resume();
      return hold(socket, 1000);
    case 'random':
      socket.end(randomBytes());
      socket.resume();
      return hold(socket, 1000);
    case 'stall': {
      held++;
      // Half a handshake: nothing (TLS), half a request (HTTP), half a greeting (SOCKS).
      if (server.name === 'http') socket.write(`CONNECT 127.0.0.1:${originPort} HTTP/1.1\r\nHo`);
      if (server.name === 'socks') socket.write(Buffer.from([5]));
      await hold(socket);
      held--;
      return;
    }
    case 'slow': {
      held++;
      // Never reads: whatever the server sends it piles up in its queue, which must stay bounded.
      socket.pause();
      if (server.name === 'broker') socket.write(Buffer.alloc(256 * 1024, 'b'));
      await hold(socket);
      held--;
      return;
    }
    default: {
      const line = `GET http://127.0.0.1:${originPort}/ HTTP/1.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`;
      socket.end(line);
      socket.resume();
      return hold(socket, 3000);
    }
  }
}

/** A client that must be served; resolves to an error message, or undefined when it was. */
async function legitimate(
  server: Server,
  originPort: number,
  n: number,
): Promise<string | undefined> {
  const marker = `legit-${server.name}-${n}-${Math.random().toString(36).slice(2)}`;
  const line = `${marker}\n`;
  const work = async () => {
    switch (server.name) {
      case 'keep':
      case 'tls': {
        const tube = await connect(
          { host: '127.0.0.1', port: server.port },
          server.name === 'tls'
            ? { tls: { insecure: true }, timeout: 10_000 }
            : { timeout: 10_000 },
        );
        await tube.sendLine(marker);
        await tube.shutdown('send');
        await tube.close();
        // The server's stdout is read by this process: look for the marker there (bounded).
        const until = performance.now() + LEGIT_TIMEOUT_MS;
        while (!server.seen.has(line) && performance.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (!server.seen.delete(line)) throw new Error('its line never reached stdout');
        return;
      }
      case 'broker': {
        const listener = await connect(
          { host: '127.0.0.1', port: server.port },
          { timeout: 10_000 },
        );
        const speaker = await connect(
          { host: '127.0.0.1', port: server.port },
          { timeout: 10_000 },
        );
        try {
          // The broker relays only to clients connected when the message arrives: repeat it
          // until the listener (connected first) has it.
          const heard = listener.recvUntil(marker, { timeout: 15_000 });
          const repeat = setInterval(() => void speaker.sendLine(marker).catch(() => {}), 500);
          await speaker.sendLine(marker);
          try {
            await heard;
          } finally {
            clearInterval(repeat);
          }
        } finally {
          listener.destroy();
          speaker.destroy();
        }
        return;
      }
      default: {
        const tube = await connect(
          { host: '127.0.0.1', port: originPort },
          {
            proxy: {
              type: server.name === 'http' ? 'http' : 'socks5',
              host: '127.0.0.1',
              port: server.port,
            },
            timeout: 10_000,
          },
        );
        try {
          await tube.sendLine(marker);
          await tube.recvUntil(marker, { timeout: 10_000 });
        } finally {
          tube.destroy();
        }
      }
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${LEGIT_TIMEOUT_MS} ms`), LEGIT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work().then(() => undefined), timeout]);
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

function grewWithoutBound(samples: Sample[], key: 'fds' | 'rssKiB' | 'children' | 'loopP99Ms') {
  if (samples.length < 3) return undefined;
  const early = samples.slice(0, Math.max(1, Math.floor(samples.length / 3)));
  const baseline = Math.max(...early.map((s) => s[key]));
  const last = samples.at(-1)![key];
  const slack = { fds: 64, rssKiB: 64 * 1024, children: 2, loopP99Ms: 250 }[key];
  return last > baseline * 1.5 + slack ? `${key} ${baseline} -> ${last}` : undefined;
}

// ---- main ------------------------------------------------------------------------------------
async function main(): Promise<number> {
  const started = performance.now();
  const fuzzStart = performance.now();
  const verifier = new DigestVerifier({ username: 'u', password: 'p' });
  const nonce = /nonce="([^"]+)"/.exec(verifier.challenge())?.[1] ?? '';
  fc.assert(headParsersProperty(), { numRuns: FUZZ_RUNS });
  fc.assert(digestVerifierProperty(verifier, nonce), { numRuns: FUZZ_RUNS });
  const fuzzSeconds = (performance.now() - fuzzStart) / 1000;
  console.log(
    `fuzz: HTTP head parsers and Digest verifier, ${FUZZ_RUNS} cases each, ok (${fuzzSeconds.toFixed(1)} s)`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'sockcat-soak-'));
  const origin = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  origin.listen(0, '127.0.0.1');
  await new Promise((resolve) => origin.once('listening', resolve));
  const originPort = (origin.address() as { port: number }).port;
  const taken = new Set<number>();
  const servers: Server[] = [];
  const samples = new Map<Name, Sample[]>();
  const failures: string[] = [];
  let actions = 0;
  let legitOk = 0;
  const legitFailed: string[] = [];
  try {
    for (const name of Object.keys(MODES) as Name[]) {
      servers.push(await startServer(name, dir, taken));
      samples.set(name, []);
    }
    const deadline = performance.now() + SECONDS * 1000;
    const report = () => {
      const t = Math.round((performance.now() - started) / 1000);
      const parts = servers.map((server) => {
        const s = sample(server, t);
        samples.get(server.name)!.push(s);
        return `${server.name} fds=${s.fds} rss=${(s.rssKiB / 1024).toFixed(1)}MiB children=${s.children} loop_p99=${s.loopP99Ms.toFixed(1)}ms`;
      });
      console.log(
        `t=${t}s actions=${actions} legit=${legitOk}/${legitOk + legitFailed.length} held=${held} | ${parts.join(' | ')}`,
      );
    };
    report();
    const reporter = setInterval(report, REPORT_SECONDS * 1000);
    const worker = async () => {
      while (performance.now() < deadline && actions < MAX_ACTIONS) {
        actions++;
        await hostile(pick(servers), originPort).catch(() => {});
      }
    };
    const legit = async () => {
      let n = 0;
      while (performance.now() < deadline) {
        n++;
        const results = await Promise.all(
          servers.map((server) => legitimate(server, originPort, n)),
        );
        results.forEach((error, index) => {
          if (error === undefined) legitOk++;
          else legitFailed.push(`${servers[index]!.name}: ${error}`);
        });
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    };
    await Promise.all([...Array.from({ length: WORKERS }, worker), legit()]);
    clearInterval(reporter);
    report();
    for (const server of servers) {
      if (server.child.exitCode !== null)
        failures.push(`${server.name} exited (${server.child.exitCode})`);
      for (const key of ['fds', 'rssKiB', 'children', 'loopP99Ms'] as const) {
        const grew = grewWithoutBound(samples.get(server.name)!, key);
        if (grew) failures.push(`${server.name}: ${grew}`);
      }
    }
    if (legitFailed.length > 0)
      failures.push(`legitimate clients refused: ${legitFailed.slice(0, 5).join('; ')}`);
  } finally {
    for (const server of servers) stopServer(server);
    origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const figures = servers
    .map((server) => {
      const list = samples.get(server.name)!;
      const first = list[0]!;
      const last = list.at(-1)!;
      const maxLoop = Math.max(...list.map((s) => s.loopP99Ms));
      return `${server.name}_fds=${first.fds}->${last.fds} ${server.name}_rss_MiB=${(first.rssKiB / 1024).toFixed(0)}->${(last.rssKiB / 1024).toFixed(0)} ${server.name}_children_max=${Math.max(...list.map((s) => s.children))} ${server.name}_loop_p99_max_ms=${maxLoop.toFixed(0)}`;
    })
    .join(' ');
  console.log(
    `RESULT soak seconds=${SECONDS} actions=${actions} legit_ok=${legitOk} legit_failed=${legitFailed.length} fuzz_cases=${2 * FUZZ_RUNS} ${figures} verdict=${failures.length === 0 ? 'ok' : 'FAIL'}`,
  );
  for (const failure of failures) console.log(`FAIL ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
