// ncat 7.93 and sockcat, scenario by scenario (the table is ncat-parity/scenarios.ts): each tool
// runs against its own peer on loopback, and what the peer received, what was printed on stdout,
// whether stderr has a message, and the exit status must be the same — or, for a deliberate
// difference, what the row documents for sockcat. Every wait is on an event (accept, a stderr
// line, bytes, end of file, exit); each run has a safety timeout that fails it instead of hanging.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { stop, waitForLine } from '../helpers/child.js';
import { listeningPortOf } from '../helpers/listening-peer.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';
import { freePort, refusedPort } from '../helpers/ports.js';
import type { Data, Outcome, Scenario, Step } from './ncat-parity/scenario.js';
import { show } from './ncat-parity/scenario.js';
import { SCENARIOS } from './ncat-parity/scenarios.js';

/**
 * Longest a run may take before it is killed and fails: a guard against a hang, not a timing
 * check. The slowest rows need about 1 s on a quiet machine, and 5 s at a load average of 17 on
 * two cores (each starts node, ncat, and for -e/-c a shell): 10 s was within reach of a busier one.
 */
const SAFETY_MS = 60_000;
/** Rows run at once (each runs ncat and sockcat at once, each against its own peer). */
const LANES = 4;

/** -v lines the runner causes in listen mode; anything else on stderr is a message. */
const VERBOSE_LINE =
  /^(Ncat|sockcat): (Version |Listening on |Connection from |Connected to |New connection denied|\d+ bytes sent|Data path: )/;

/**
 * A listener whose accept queue is full (backlog 0, one connection never accepted): the kernel
 * drops further SYNs, so a connect to it neither succeeds nor is refused until a timeout.
 */
const PYTHON_BLACKHOLE = `
import socket, sys
server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(0)
filler = socket.create_connection(server.getsockname())
print(f'ready {server.getsockname()[1]}', file=sys.stderr, flush=True)
sys.stdin.read()
`;

interface Tool {
  name: 'ncat' | 'sockcat';
  command: string;
  /** Arguments before the scenario's (the script, for sockcat). */
  prefix: string[];
}

interface Run {
  outcome: Outcome;
  /** The whole stderr, for assertion messages. */
  stderr: string;
}

/** What a peer needs of its connection: a TCP or Unix socket, or a UdpLink. */
interface Link extends EventEmitter {
  write(data: Data): unknown;
  end(): unknown;
  destroy(): unknown;
  resetAndDestroy(): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/**
 * A UDP peer as a Link: each datagram is a 'data' event; there is no FIN, so end() does nothing.
 * In connect mode the tool's address is learnt from its first datagram.
 */
class UdpLink extends EventEmitter implements Link {
  remoteAddress: string | undefined;
  remotePort: number | undefined;

  constructor(
    readonly socket: DgramSocket,
    remote?: { address: string; port: number },
  ) {
    super();
    this.remoteAddress = remote?.address;
    this.remotePort = remote?.port;
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      this.remoteAddress ??= from.address;
      this.remotePort ??= from.port;
      this.emit('data', message);
    });
    // An ICMP "port unreachable" after the tool left.
    socket.on('error', () => {});
    socket.on('close', () => this.emit('close'));
  }

  write(data: Data): void {
    if (this.remotePort === undefined) throw new Error('no datagram from the tool yet');
    this.socket.send(data, this.remotePort, this.remoteAddress);
  }

  end(): void {}

  destroy(): void {
    try {
      this.socket.close();
    } catch {
      // Closed already.
    }
  }

  resetAndDestroy(): void {
    this.destroy();
  }
}

/** A loopback UDP socket on a port of its own. */
async function udpSocket(host: string): Promise<DgramSocket> {
  const socket = createSocket(host === '::1' ? 'udp6' : 'udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  return socket;
}

/** One peer connection and what it saw. */
class Peer {
  readonly chunks: Buffer[] = [];
  received = 0;
  eof = false;
  ended = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly socket: Link,
    readonly datagrams = false,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.wake();
    });
    socket.on('end', () => {
      this.eof = true;
      this.wake();
    });
    // A reset or a write after the tool left: what was received so far stands.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Resolve once `ready()` holds; reject if the tool's side ends first (nothing more comes). */
  until(ready: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.eof || this.ended) {
          this.waiters.delete(check);
          reject(new Error(`the tool ended its side before ${what}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Everything a stream printed, with waits on its length. */
class Collected {
  readonly chunks: Buffer[] = [];
  length = 0;
  ended = false;
  private readonly waiters = new Set<() => void>();

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  /** Resolve once `ready()` holds; reject if the stream ends first. */
  until(ready: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.ended) {
          this.waiters.delete(check);
          reject(new Error(`the stream ended after ${this.length} bytes, before ${what}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Accepted connections of the runner's listener (connect mode), in order. */
function acceptQueue(server: Server): () => Promise<Socket> {
  const sockets: Socket[] = [];
  const waiting: ((socket: Socket) => void)[] = [];
  server.on('connection', (socket: Socket) => {
    const waiter = waiting.shift();
    if (waiter) waiter(socket);
    else sockets.push(socket);
  });
  return () => {
    const socket = sockets.shift();
    if (socket) return Promise.resolve(socket);
    return new Promise((resolve) => waiting.push(resolve));
  };
}

/** The exit status as a shell reports it. */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : constants.signals[signal]);
}

/**
 * Open a client connection; undefined (and a note) when it is refused. A reset during the
 * handshake (a denied client) gives a peer whose connection is already over.
 */
async function connectPeer(
  target: { host: string; port: number } | { path: string },
  index: number,
  notes: string[],
  udp = false,
): Promise<Peer | undefined> {
  if (udp && 'host' in target) {
    const socket = await udpSocket(target.host);
    return new Peer(new UdpLink(socket, { address: target.host, port: target.port }), true);
  }
  const socket = connect({ ...target, allowHalfOpen: true });
  const peer = new Peer(socket);
  const failure = await new Promise<string | undefined>((resolve) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'failed'));
  });
  if (failure === undefined || failure === 'ECONNRESET') return peer;
  notes.push(`peer${index} ${failure}`);
  return undefined;
}

function substitute(args: readonly string[], values: Record<string, string>): string[] {
  return args.map((arg) => arg.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole));
}

async function runScenario(t: TestContext, scenario: Scenario, tool: Tool): Promise<Run> {
  const notes: string[] = [];
  const peers: Peer[] = [];
  const host = scenario.host ?? '127.0.0.1';
  const uses = (name: string) => scenario.args.some((arg) => arg.includes(`{${name}}`));
  const values: Record<string, string> = {};

  if (uses('free')) values['free'] = String(await refusedPort(host));
  if (uses('source')) values['source'] = String(await freePort(host));
  let file: string | undefined;
  if (uses('file') || uses('path')) {
    const dir = await mkdtemp(join(tmpdir(), 'sockcat-parity-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    values['path'] = join(dir, 'socket');
    if (scenario.staleSocket) {
      // A process that exits while listening leaves its socket file behind.
      const script = `require('node:net').createServer().listen(${JSON.stringify(values['path'])}, () => process.exit(0))`;
      const maker = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      await once(maker, 'exit');
    }
  }
  if (uses('file')) {
    file = join(dirname(values['path']!), 'session');
    values['file'] = file;
    if (scenario.fileBefore !== undefined) await writeFile(file, scenario.fileBefore);
  }

  let nextAccepted: (() => Promise<Socket>) | undefined;
  let udpPeer: Peer | undefined;
  if (scenario.mode === 'connect' && scenario.udp) {
    const socket = await udpSocket(host);
    udpPeer = new Peer(new UdpLink(socket), true);
    t.after(() => udpPeer?.socket.destroy());
    values['port'] = String(socket.address().port);
  } else if (scenario.mode === 'connect') {
    const server = createServer({ allowHalfOpen: true });
    nextAccepted = acceptQueue(server);
    if (scenario.unix) server.listen(values['path']);
    else server.listen(0, host);
    await once(server, 'listening');
    t.after(() => server.close());
    if (!scenario.unix) values['port'] = String((server.address() as { port: number }).port);
  } else if (scenario.mode === 'blackhole') {
    const python = requirePeer(t, 'python3');
    if (python === undefined) throw new Error('python3 is needed for a blackhole listener');
    const filler = spawn(python, ['-c', PYTHON_BLACKHOLE], { stdio: 'pipe' });
    t.after(() => stop(filler));
    const [, port] = await waitForLine(filler.stderr, /ready (\d+)/);
    values['port'] = port ?? '';
  } else if (scenario.mode === 'listen') {
    values['port'] = '0';
  }

  const args = [
    ...tool.prefix,
    ...(scenario.mode === 'listen' ? ['-v'] : []),
    ...substitute(scenario.args, values),
  ];
  const child: ChildProcess = spawn(tool.command, args, { stdio: 'pipe' });
  t.after(() => stop(child));
  const stdout = new Collected(child.stdout!);
  const stderr = new Collected(child.stderr!);
  const stderrText = () => stderr.text();
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdoutClosed = false;
  let safetyExpired = false;
  const safety = setTimeout(() => {
    safetyExpired = true;
    child.kill('SIGKILL');
  }, SAFETY_MS);

  child.stdin!.on('error', () => {});
  if (scenario.stdin !== undefined) child.stdin!.write(scenario.stdin);
  if (!scenario.stdinOpen) child.stdin!.end();

  const gone = exited.then(() => undefined);
  let ports: { v4: number; v6: number | undefined } | undefined;
  let listening = false;
  const targetFor = (address: string) => {
    if (scenario.unix) return { path: values['path']! };
    const port = address === '::1' ? (ports?.v6 ?? ports?.v4) : ports?.v4;
    if (port === undefined) throw new Error(`no listening port for ${address}`);
    return { host: address, port };
  };

  // The first peer: the tool's connection (connect mode), or the runner's first client.
  if (udpPeer) {
    peers.push(udpPeer);
  } else if (scenario.mode === 'connect') {
    const socket = await Promise.race([nextAccepted!(), gone]);
    if (socket) peers.push(new Peer(socket));
  } else if (scenario.mode === 'listen') {
    const ready = await Promise.race([
      waitForLine(child.stderr!, scenario.ready ?? /Listening on /).then(() => true),
      gone.then(() => false),
    ]).catch(() => false);
    if (ready && !scenario.unix) {
      const pid = child.pid!;
      const protocol = scenario.udp ? 'udp' : 'tcp';
      const v6 = await listeningPortOf(pid, protocol, { ipv6Only: true }).catch(() => undefined);
      ports = { v4: await listeningPortOf(pid, protocol).catch(() => v6 ?? 0), v6 };
    }
    if (ready) {
      listening = true;
      const peer = await connectPeer(targetFor(host), 0, notes, scenario.udp);
      if (peer) peers.push(peer);
    }
  }

  if (peers.length === 0 && listening) {
    // Listening, but the first client was refused: nothing will end the run.
    child.kill('SIGINT');
  } else if (peers.length > 0) {
    for (const [index, step] of (scenario.steps ?? []).entries()) {
      try {
        await runStep(step);
      } catch (error) {
        // The conversation cannot go on: noted, and the tool is interrupted rather than waited for.
        notes.push(`step ${index} (${step.op}) failed: ${(error as Error).message}`);
        child.kill('SIGINT');
        break;
      }
    }
  }

  const [code, signal] = await exited;
  clearTimeout(safety);
  if (safetyExpired) notes.push(`killed after the ${SAFETY_MS} ms safety timeout`);
  // The tool is gone: every peer connection ends (FIN or reset) and has all it will receive.
  await Promise.all(
    peers.map(async (peer) => {
      if (!peer.datagrams) await peer.until(() => peer.eof, 'the end of the run').catch(() => {});
      peer.socket.destroy();
    }),
  );

  const outcome: Outcome = {
    code: exitStatus(code, signal),
    stdout: stdoutClosed ? '<closed by the reader>' : show(Buffer.concat(stdout.chunks)),
    received: peers.map((peer) => show(Buffer.concat(peer.chunks))),
    stderr: stderrText()
      .split('\n')
      .some((line) => line !== '' && !(scenario.mode === 'listen' && VERBOSE_LINE.test(line)))
      ? 'message'
      : 'empty',
    notes,
  };
  if (file !== undefined) outcome.file = show(await readFile(file).catch(() => Buffer.alloc(0)));
  return { outcome, stderr: stderrText() };

  async function runStep(step: Step): Promise<void> {
    const peerOf = (index = 0) => {
      const peer = peers[index];
      if (peer === undefined) throw new Error(`peer ${index} is not connected`);
      return peer;
    };
    switch (step.op) {
      case 'connect': {
        const address = step.host ?? '127.0.0.1';
        const peer = await connectPeer(targetFor(address), step.peer, notes, scenario.udp);
        if (peer) peers[step.peer] = peer;
        return;
      }
      case 'send':
        peerOf(step.peer).socket.write(step.data);
        return;
      case 'end':
        peerOf(step.peer).socket.end();
        return;
      case 'close':
        peerOf(step.peer).socket.destroy();
        return;
      case 'reset':
        peerOf(step.peer).socket.resetAndDestroy();
        return;
      case 'waitEof': {
        // A FIN, or a reset (a tool that leaves with unread bytes pending resets the connection).
        const peer = peerOf(step.peer);
        return peer.until(() => peer.eof || peer.ended, 'end of file');
      }
      case 'waitReceived': {
        const peer = peerOf(step.peer);
        return peer.until(() => peer.received >= step.bytes, `${step.bytes} bytes`);
      }
      case 'waitClosed': {
        const peer = peerOf(step.peer);
        await peer.until(() => peer.eof, 'end of file').catch(() => {});
        peer.socket.destroy();
        return;
      }
      case 'noteEof':
        notes.push(`peer${step.peer ?? 0} eof=${peerOf(step.peer).eof}`);
        return;
      case 'noteSource': {
        const socket = peerOf(step.peer).socket;
        const port = String(socket.remotePort);
        notes.push(
          `peer${step.peer ?? 0} from=${socket.remoteAddress}:${port === values['source'] ? '{source}' : 'other'}`,
        );
        return;
      }
      case 'stdin':
        child.stdin!.write(step.data);
        return;
      case 'stdinEnd':
        child.stdin!.end();
        return;
      case 'waitStdout':
        return stdout.until(() => stdout.length >= step.bytes, `${step.bytes} bytes`);
      case 'waitStdoutEnd':
        return stdout.until(() => stdout.ended, 'the end of stdout');
      case 'waitAccepted': {
        // One "Connection from ADDRESS:PORT" line per client, in both tools (-v in listen mode).
        const accepted = () => stderr.text().match(/Connection from [\d.]+:\d+/g)?.length ?? 0;
        return stderr.until(() => accepted() >= step.clients, `${step.clients} clients accepted`);
      }
      case 'closeStdout':
        stdoutClosed = true;
        child.stdout!.destroy();
        return;
      case 'interrupt':
        child.kill('SIGINT');
        return;
    }
  }
}

/** `expect` with its defaults filled in; peers default to having received nothing. */
function expected(scenario: Scenario, peerCount: number, overrides: Partial<Outcome> = {}) {
  const fields = { ...scenario.expect, ...overrides };
  const outcome: Outcome = {
    code: fields.code ?? 0,
    stdout: fields.stdout ?? '',
    received: fields.received ?? Array.from({ length: peerCount }, () => ''),
    stderr: fields.stderr ?? 'empty',
    notes: fields.notes ?? [],
  };
  if (fields.file !== undefined) outcome.file = fields.file;
  return outcome;
}

describe('ncat 7.93 parity', { concurrency: LANES }, () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async (t) => {
      const ncat = requirePeer(t, 'ncat');
      if (ncat === undefined) return;
      const [reference, ours] = await Promise.all([
        runScenario(t, scenario, { name: 'ncat', command: ncat, prefix: [] }),
        runScenario(t, scenario, { name: 'sockcat', command: process.execPath, prefix: [BIN] }),
      ]);
      assert.deepEqual(
        reference.outcome,
        expected(scenario, reference.outcome.received.length),
        `ncat 7.93 does not give the row's expected outcome (the row is wrong); stderr: ${reference.stderr}`,
      );
      const why = scenario.knownBug
        ? `known bug: ${scenario.knownBug}`
        : scenario.deviation
          ? `sockcat differs from the documented deviation (${scenario.deviation.reason})`
          : 'sockcat differs from ncat 7.93';
      assert.deepEqual(
        ours.outcome,
        expected(scenario, ours.outcome.received.length, scenario.deviation?.sockcat),
        `${why}; sockcat stderr: ${ours.stderr}`,
      );
    });
  }
});

/** Lower case, no backticks, single spaces, no final period: how reasons are matched to docs. */
function normalise(text: string): string {
  return text.replace(/`/g, '').replace(/\s+/g, ' ').trim().replace(/\.$/, '').toLowerCase();
}

test('every deviation row is listed in docs/cli.md, "Deliberate differences from ncat 7.93"', async () => {
  const docs = await readFile(join(ROOT, 'docs/cli.md'), 'utf8');
  const start = docs.indexOf('## Deliberate differences from ncat 7.93');
  const section = docs.slice(start, docs.indexOf('\n## ', start + 1));
  const items = new Map<string, string>();
  for (const [, number, title] of section.matchAll(/^(\d+)\. \*\*(.+?)\*\*/gms)) {
    items.set(number!, normalise(title!));
  }
  const smaller = normalise(section.slice(section.indexOf('Smaller differences')));
  for (const { name, deviation } of SCENARIOS) {
    if (deviation === undefined) continue;
    const numbered = /^(\d+)\. (.+)$/.exec(deviation.reason);
    if (numbered) {
      const title = items.get(numbered[1]!) ?? '(no such item)';
      assert.ok(
        title.includes(normalise(numbered[2]!)),
        `${name}: item ${numbered[1]} is "${title}"`,
      );
    } else {
      const text = /^smaller differences: (.+)$/.exec(deviation.reason)?.[1];
      assert.ok(text && smaller.includes(normalise(text)), `${name}: "${deviation.reason}"`);
    }
  }
});
