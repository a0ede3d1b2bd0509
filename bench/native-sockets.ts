// Unix datagram and seqpacket receivers, and raw ICMP echo round trips (issue 7's figures).
//
//   node dist/bench/native-sockets.js [--messages 200000] [--runs 3] [--pings 2000]
//
// Messages per second: one sender, a python3 loop of blocking send()s of 64-byte messages, the
// same for every case, and three receivers: sockcat (MessageSocket, `for await`), a minimal
// python3 recv() loop, and socat (`-u UNIX-RECV` / `UNIX-LISTEN,socktype=5` to /dev/null). Unix
// sockets have flow control (a full receive queue blocks the sender), so the sender's elapsed
// time for MESSAGES messages is the receiver's pace. Runs are interleaved; figures are medians.
//
// Raw ICMP (as root, with `ip`): two network namespaces joined by a veth pair, created and
// removed here; PINGS echo round trips one after another from A to B, by sockcat (a raw socket
// and the ICMP codecs, in a child inside namespace A) and by `ping -f -c PINGS` (iputils).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  decodeIcmpEcho,
  decodeIpv4Header,
  encodeIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  listenSeqpacket,
  openRaw,
  openUnixDatagram,
} from '../src/index.js';
import { loadNative } from '../src/native/load.js';
import { type BenchRow, isMain, median, option } from './common.js';

// ---- parameters ------------------------------------------------------------------------------
const DEFAULT_MESSAGES = '200000';
const DEFAULT_RUNS = '3';
const DEFAULT_PINGS = '20000';
const MESSAGE_SIZE = 64;
/** A run that takes longer has hung: fail rather than wait. */
const RUN_TIMEOUT_MS = 60_000;

const SELF = fileURLToPath(import.meta.url);

type Kind = 'dgram' | 'seqpacket';
type Receiver = 'sockcat' | 'python3' | 'socat';

/** The python3 sender: N messages, then prints its rate. */
function senderScript(kind: Kind, path: string, count: number): string {
  return `
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_${kind === 'dgram' ? 'DGRAM' : 'SEQPACKET'})
${kind === 'dgram' ? '' : `s.connect(${JSON.stringify(path)})`}
m = b'x' * ${MESSAGE_SIZE}
t = time.perf_counter()
for _ in range(${count}):
    ${kind === 'dgram' ? `s.sendto(m, ${JSON.stringify(path)})` : 's.send(m)'}
print(${count} / (time.perf_counter() - t))
`;
}

/** The minimal python3 receiver: counts messages until N, printing "ready" once bound. */
function pythonReceiver(kind: Kind, path: string, count: number): string {
  return kind === 'dgram'
    ? `
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(${JSON.stringify(path)})
print('ready', flush=True)
for _ in range(${count}):
    s.recv(65536)
`
    : `
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(${JSON.stringify(path)})
s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
for _ in range(${count}):
    c.recv(65536)
`;
}

/** Run as a child: a sockcat receiver counting N messages (prints "ready" once bound). */
async function sockcatReceiver(kind: Kind, path: string, count: number): Promise<void> {
  let received = 0;
  if (kind === 'dgram') {
    const socket = await openUnixDatagram({ path });
    console.log('ready');
    for await (const _ of socket) if (++received === count) break;
    socket.close();
  } else {
    const listener = await listenSeqpacket(path);
    console.log('ready');
    const connection = await listener.accept();
    for await (const _ of connection) if (++received === count) break;
    connection.close();
    listener.close();
  }
}

async function waitForReady(child: ReturnType<typeof spawn>, socat: boolean): Promise<void> {
  const stream = socat ? child.stderr! : child.stdout!;
  let text = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (socat ? /starting data transfer loop|listening on/.test(text) : /ready/.test(text)) {
        resolve();
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`receiver exited (${code}) before ready: ${text}`)),
    );
  });
}

async function oneRun(kind: Kind, receiver: Receiver, count: number): Promise<number> {
  const path = `/tmp/sockcat-bench-${process.pid}-${kind}-${receiver}.sock`;
  rmSync(path, { force: true });
  const child =
    receiver === 'sockcat'
      ? spawn(process.execPath, [SELF, '--receiver', kind, path, String(count)])
      : receiver === 'python3'
        ? spawn('python3', ['-c', pythonReceiver(kind, path, count)])
        : spawn('socat', [
            '-d',
            '-d',
            '-u',
            kind === 'dgram' ? `UNIX-RECV:${path}` : `UNIX-LISTEN:${path},socktype=5`,
            '/dev/null',
          ]);
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    await waitForReady(child, receiver === 'socat');
    const sender = spawn('python3', ['-c', senderScript(kind, path, count)]);
    let out = '';
    sender.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const [code] = (await once(sender, 'exit')) as [number];
    if (code !== 0) throw new Error(`sender failed (${code})`);
    return Number(out.trim());
  } finally {
    clearTimeout(timer);
    child.kill('SIGTERM');
    rmSync(path, { force: true });
  }
}

/** Run as a child inside namespace A: PINGS echo round trips to B, one after another. */
async function pingFlood(address: string, count: number): Promise<void> {
  const socket = await openRaw({ protocol: 'icmp' });
  const identifier = process.pid & 0xffff;
  const started = performance.now();
  for (let sequence = 1; sequence <= count; sequence++) {
    const payload = Buffer.alloc(56, 0x61);
    await socket.send(
      encodeIcmpEcho({ type: ICMP_ECHO_REQUEST, code: 0, identifier, sequence, payload }),
      { address, port: 0, family: 4 },
    );
    for (;;) {
      const { data } = await socket.receive({ timeout: 1000 });
      const ip = decodeIpv4Header(data);
      const echo = ip && decodeIcmpEcho(data.subarray(ip.headerLength));
      if (
        echo?.type === ICMP_ECHO_REPLY &&
        echo.identifier === identifier &&
        echo.sequence === sequence
      )
        break;
    }
  }
  console.log(count / ((performance.now() - started) / 1000));
  socket.close();
}

function benchPing(count: number, runs: number): BenchRow[] {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: native-sockets: raw ICMP skipped (needs root)\n');
    return [];
  }
  const a = `sockcat-bench-a-${process.pid}`;
  const b = `sockcat-bench-b-${process.pid}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const remove = () => {
    for (const ns of [a, b]) {
      try {
        ip('netns', 'del', ns);
      } catch {}
    }
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', 'veth-a', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', b);
    for (const [ns, dev, address] of [
      [a, 'veth-a', '10.232.0.1/24'],
      [b, 'veth-b', '10.232.0.2/24'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', address, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < runs; run++) {
      const out = execFileSync(
        'ip',
        ['netns', 'exec', a, process.execPath, SELF, '--ping', '10.232.0.2', String(count)],
        {
          timeout: RUN_TIMEOUT_MS,
        },
      ).toString();
      ours.push(Number(out.trim()));
      const ping = execFileSync(
        'ip',
        ['netns', 'exec', a, 'ping', '-q', '-f', '-c', String(count), '10.232.0.2'],
        {
          timeout: RUN_TIMEOUT_MS,
        },
      ).toString();
      const ms = Number(/time (\d+)ms/.exec(ping)?.[1]);
      theirs.push(count / (ms / 1000));
    }
    const sockcat = median(ours);
    const ping = median(theirs);
    return [
      {
        bench: 'native-sockets',
        case: 'raw-icmp-echo sockcat',
        value: sockcat,
        unit: 'rtt/s',
        note: `${(sockcat / ping).toFixed(2)}x ping -f`,
      },
      { bench: 'native-sockets', case: 'raw-icmp-echo ping -f', value: ping, unit: 'rtt/s' },
    ];
  } finally {
    remove();
  }
}

export async function benchNativeSockets(argv: readonly string[]): Promise<BenchRow[]> {
  if (!loadNative()) {
    process.stderr.write('bench: native-sockets skipped: the native addon is not built\n');
    return [];
  }
  const messages = Number(option(argv, 'messages', 'SOCKCAT_BENCH_MESSAGES', DEFAULT_MESSAGES));
  const runs = Number(option(argv, 'runs', 'SOCKCAT_BENCH_RUNS', DEFAULT_RUNS));
  const pings = Number(option(argv, 'pings', 'SOCKCAT_BENCH_PINGS', DEFAULT_PINGS));
  const rows: BenchRow[] = [];
  for (const kind of ['dgram', 'seqpacket'] as const) {
    const rates: Record<Receiver, number[]> = { sockcat: [], python3: [], socat: [] };
    for (let run = 0; run < runs; run++) {
      for (const receiver of ['sockcat', 'python3', 'socat'] as const) {
        rates[receiver].push(await oneRun(kind, receiver, messages));
      }
    }
    const [ours, python, socat] = [
      median(rates.sockcat),
      median(rates.python3),
      median(rates.socat),
    ];
    rows.push(
      {
        bench: 'native-sockets',
        case: `unix-${kind} sockcat`,
        value: ours,
        unit: 'msg/s',
        note: `${(ours / python).toFixed(2)}x python3, ${(ours / socat).toFixed(2)}x socat`,
      },
      { bench: 'native-sockets', case: `unix-${kind} python3`, value: python, unit: 'msg/s' },
      { bench: 'native-sockets', case: `unix-${kind} socat`, value: socat, unit: 'msg/s' },
    );
  }
  rows.push(...benchPing(pings, runs));
  return rows;
}

if (isMain(import.meta.url)) {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--receiver') {
    await sockcatReceiver(rest[0] as Kind, rest[1]!, Number(rest[2]));
  } else if (mode === '--ping') {
    await pingFlood(rest[0]!, Number(rest[1]));
  } else {
    const { printTable } = await import('./common.js');
    printTable(await benchNativeSockets(process.argv.slice(2)));
  }
}
