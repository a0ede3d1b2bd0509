// Drivers for the observed option × mode matrix (test/helpers/matrix-cells.ts): each
// runs the built CLI in one mode of src/cli/option-matrix.ts, with the option under test in
// front, against a real peer on loopback, and reports what the peer and the CLI's outputs saw.
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ChildProcess, execFile, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  createConnection,
  createServer,
  type NetConnectOpts,
  type Server,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { loadNative } from '../../src/native/load.js';
import { type Finished, finished, spawnCli, stop, waitForLine } from './child.js';
import { listeningPortOf } from './listening-peer.js';
import type { Observer } from './matrix-observe.js';
import { portToListenOnLater } from './ports.js';

/** One line of --json output. */
export type JsonEvent = Record<string, unknown> & { event: string };

export interface Exchange extends Finished {
  /** The --json events on stderr (the drivers pass --json unless the option is --json). */
  events: JsonEvent[];
  /** What the peer received from sockcat. */
  received: Buffer;
  /** The CLI's working directory (where -o and -x files go); removed when the test ends. */
  dir: string;
  /** `ss` lines of the CLI's connected sockets, taken mid-session when `probeSockets` is set. */
  sockets: string;
  /** Milliseconds from the first byte the peer got to the last (for -d). */
  spreadMs: number;
  /** sockcat's end of the connection as the peer saw it (connect modes). */
  peerSaw: { address: string; port: number } | undefined;
}

export interface Script {
  /** What sockcat's standard input carries (its end is sockcat's stdin EOF). */
  stdin: string;
  /** What the peer sends. */
  peerSends: string | Buffer;
  /** Take `ss` lines of the CLI's sockets while the session is up. */
  probeSockets: boolean;
  /**
   * sockcat's stdin (or, with -e, the peer) ends only once data has gone both ways: for a relay
   * between them that ends the whole tunnel at the first half-close (ncat's proxy server), and
   * for answers sockcat must still send after the peer's first bytes (-t).
   */
  endAfterReply: boolean;
  /**
   * Nothing is sent either way, and sockcat's stdin stays open: the peer only closes once sockcat
   * has closed (an idle session, for -i).
   */
  idlePeer: boolean;
  /** The peer closes right after sending (it needs nothing back first: --recv-only). */
  peerCloses: boolean;
  /** The peer is turned away (--deny): sockcat is stopped once it says so. */
  denied: boolean;
  /** Files to write into the CLI's directory first (for --allowfile and friends). */
  files: Readonly<Record<string, string>>;
  /** Where the drivers name the host: '127.0.0.1' unless the option needs another. */
  host: string;
  /** Where the peer listens in connect modes (an IPv6 peer for -6: '::1'). */
  peerAddress: string;
  /** Written to sockcat's stdin once the peer has `stdin` (then stdin ends): two sends, for -d. */
  stdinSecond: string | undefined;
  /** The peer never closes first: it stays until sockcat has gone (for -q). */
  peerHolds: boolean;
  /** With -k: a second client connects while the first is in (for -m). */
  secondClient: boolean;
  /**
   * Datagram drivers, which stop sockcat once the peer has its answer (a datagram session has no
   * end of file): the answer to wait for. Default: the peer's own bytes back (exec), or stdin.
   */
  reply: string | undefined;
  /**
   * Connect modes: what sockcat connects to. 'peer': the peer, listening already. 'later': a
   * port that refuses until sockcat reports a failed attempt, and then the peer listens there
   * (--retry). 'blackhole': a listener whose queue is full, where a connect never completes (-w).
   */
  target: 'peer' | 'later' | 'blackhole';
  /** How the client connects to sockcat in listen modes: a variant's own (TLS), else plain. */
  dial?: Dial;
  /**
   * A variant whose server can drop a client before its session (a failed TLS handshake): true
   * once it has. The driver then stops sockcat (stopTurnedAway) instead of waiting for a session.
   */
  turnedAway?: () => boolean;
}

/** Opens a driver's client connection to sockcat (a port on loopback, or a Unix path). */
export type Dial = (options: NetConnectOpts) => Socket;

/**
 * A client dropped before its session (a failed TLS handshake) ends a server's run: with -v
 * once the -v line says why (docs/cli.md, "Listen mode"), and sockcat, which goes on, is stopped.
 */
export async function stopTurnedAway(started: Started, option: readonly string[]): Promise<void> {
  if (option.some((word) => /^-v+$/.test(word))) {
    await lineOrEnd(started.child.stderr!, /"event":"log"[^\n]*TLS (client|handshake)/);
  }
  if (started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill('SIGTERM');
  }
}

export const DEFAULT_SCRIPT: Script = {
  stdin: 'from-stdin\n',
  peerSends: 'from-peer\n',
  probeSockets: false,
  endAfterReply: false,
  idlePeer: false,
  peerCloses: false,
  denied: false,
  files: {},
  host: '127.0.0.1',
  peerAddress: '127.0.0.1',
  stdinSecond: undefined,
  peerHolds: false,
  secondClient: false,
  reply: undefined,
  target: 'peer',
};

export interface Driver {
  /** What it drives, for messages ('tcp connect', 'tcp listen -k', ...). */
  name: string;
  /** The peer gets its own bytes back (exec modes run cat) instead of sockcat's stdin. */
  echoes: boolean;
  /** Options (by name) whose effect this driver's exchange cannot show: their cells stay unobserved. */
  unsuited?: readonly string[];
  /**
   * Observers (by option name) for this driver's cells, in place of the shared ones: for modes
   * whose exchange is not a session both ways (-z), or options whose effect only this mode has.
   */
  observers?: Readonly<Record<string, Observer>>;
  /**
   * Run `option` (the option under test's argv) in front of `mode` (a matrix mode's argv, whose
   * target comes last: `127.0.0.1 9`, a lone port `9` to listen on, or a Unix socket path).
   */
  run(
    t: TestContext,
    option: readonly string[],
    mode: readonly string[],
    script?: Partial<Script>,
  ): Promise<Exchange>;
}

/** The programs the matrix names, as the drivers run them (-e takes a path). */
const PROGRAMS: Readonly<Record<string, string>> = { cat: '/bin/cat' };

/** `argv` with the matrix's program names made runnable. */
function runnable(argv: readonly string[]): string[] {
  return argv.map((word, i) =>
    i > 0 && /^-[ec]$/.test(argv[i - 1]!) ? (PROGRAMS[word] ?? word) : word,
  );
}

/** A mode's argv without its target (the trailing port, and the host before it if any). */
function withoutTarget(mode: readonly string[]): string[] {
  const words = [...mode];
  words.pop();
  if (words.at(-1) === '127.0.0.1') words.pop();
  return words;
}

/** The CLI's argv for a cell: the option, the JSON flag, the mode's flags, then the target. */
export function cliArgv(
  option: readonly string[],
  mode: readonly string[],
  target: string[],
): string[] {
  return [...runnable(option), ...jsonFlag(option), ...runnable(withoutTarget(mode)), ...target];
}

/** A run that takes longer than this has hung: the CLI is killed and the run fails. */
export const RUN_LIMIT_MS = 15_000;

const run = promisify(execFile);

export function tempDir(t: TestContext, files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-matrix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function parseEvents(stderr: string): JsonEvent[] {
  const events: JsonEvent[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as JsonEvent);
    } catch {}
  }
  return events;
}

/** The `ss` lines of the sockets process `pid` has open (with --tos, memory and timers). */
export async function socketsOf(pid: number, protocol: 'tcp' | 'udp'): Promise<string> {
  const flag = protocol === 'tcp' ? '-tnpieom' : '-unpieom';
  const { stdout } = await run('ss', [flag, '--tos', 'state', 'connected']);
  const lines = stdout.split('\n');
  const mine: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    // ss prints each socket on one line, its details indented on the next.
    if (lines[i]!.includes(`pid=${pid},`)) mine.push(`${lines[i]} ${lines[i + 1] ?? ''}`);
  }
  return mine.join('\n');
}

/** Collects what a socket receives, with the time of its first and last chunk. */
export class Collector {
  chunks: Buffer[] = [];
  first = 0;
  last = 0;
  add(chunk: Buffer): void {
    const now = performance.now();
    if (this.chunks.length === 0) this.first = now;
    this.last = now;
    this.chunks.push(chunk);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  get spread(): number {
    return this.last - this.first;
  }
}

export interface Started {
  child: ReturnType<typeof spawnCli>;
  done: Promise<Finished>;
}

/**
 * How start() spawns the CLI within one observation (an async context): an observer may run any
 * driver with the CLI under a wrapper, e.g. stderr on a terminal for --progress. Unset: spawnCli.
 */
export const spawnWith = new AsyncLocalStorage<
  (argv: readonly string[], options: SpawnOptions) => ChildProcess
>();

/** Spawn the CLI in `dir`; `env` adds to the test's environment (wss://: a CA to trust). */
export function start(
  t: TestContext,
  argv: readonly string[],
  dir: string,
  env?: Readonly<Record<string, string>>,
): Started {
  const child = (spawnWith.getStore() ?? spawnCli)(argv, {
    cwd: dir,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  t.after(() => stop(child));
  child.stdin!.on('error', () => {});
  const done = finished(child);
  const limit = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  done.finally(() => clearTimeout(limit)).catch(() => {});
  return { child, done };
}

export function exchange(
  result: Finished,
  received: Collector,
  dir: string,
  sockets: string,
  peerSaw?: { address: string; port: number },
): Exchange {
  return {
    ...result,
    events: parseEvents(result.stderr),
    received: received.bytes,
    dir,
    sockets,
    spreadMs: received.spread,
    peerSaw,
  };
}

export /** Resolves once `collector` holds `text` (or never: race it with the end of the session). */
function holds(collector: Collector, text: string, source: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (collector.bytes.includes(text)) {
        source.off('message', check);
        source.off('data', check);
        resolve();
      }
    };
    source.on('message', check);
    source.on('data', check);
    check();
  });
}

/** What of the peer's bytes shows on sockcat's stdout: their printable text (not Telnet's). */
function replyPattern(script: Script): RegExp {
  const text = Buffer.from(script.peerSends)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '');
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** Write `second` to sockcat's stdin and end it once `received` holds `first` (for -d). */
function sendSecondWhenReceived(
  source: Socket,
  received: Collector,
  first: string,
  second: string,
  stdin: NodeJS.WritableStream,
): void {
  const check = () => {
    if (!received.bytes.includes(first.trimEnd())) return;
    source.off('data', check);
    stdin.end(second);
  };
  source.on('data', check);
}

/** The first match of `pattern` in the stream's output, or undefined once it ends without one. */
export function lineOrEnd(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
): Promise<RegExpExecArray | undefined> {
  return waitForLine(stream, pattern).catch(() => undefined);
}

/** --json for the events, or -v when --json is the option under test (-v names the port). */
function jsonFlag(option: readonly string[]): string[] {
  return option.includes('--json') ? ['-v'] : ['--json'];
}

/**
 * Connect modes over TCP: the peer is a listener here; sockcat connects, sends its stdin and
 * half-closes at its end; the peer sends its bytes, reads to EOF, and then closes.
 */
export function tcpConnectDriver({ echoes = false } = {}): Driver {
  return {
    name: echoes ? 'tcp connect, exec' : 'tcp connect',
    echoes,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const received = new Collector();
      let sockets = '';
      let started: Started | undefined;
      let peerSaw: { address: string; port: number } | undefined;
      let peerSocket: Socket | undefined;
      const server: Server = createServer({ allowHalfOpen: true });
      t.after(() => server.close());
      const session = new Promise<void>((resolve) => {
        server.once('connection', (socket: Socket) => {
          t.after(() => socket.destroy());
          peerSocket = socket;
          peerSaw = { address: socket.remoteAddress!, port: socket.remotePort! };
          socket.on('error', () => {});
          socket.on('close', () => resolve());
          socket.on('data', (chunk: Buffer) => received.add(chunk));
          if (script.idlePeer) {
            // It sends nothing, and closes once sockcat has closed.
          } else if (
            script.peerCloses ||
            (echoes && !script.probeSockets && !script.endAfterReply)
          ) {
            socket.end(script.peerSends);
          } else {
            socket.write(script.peerSends);
          }
          if (script.probeSockets || script.endAfterReply) {
            // Once the session has carried data both ways, probe it, and then let it end.
            const want = String(echoes ? script.peerSends : script.stdin).trimEnd();
            const probe = async () => {
              if (!received.bytes.includes(want)) return;
              socket.off('data', probe);
              if (script.probeSockets) sockets = await socketsOf(started!.child.pid!, 'tcp');
              if (echoes) socket.end();
              else {
                await lineOrEnd(started!.child.stdout!, replyPattern(script));
                started!.child.stdin!.end();
              }
            };
            socket.on('data', probe);
          }
          if (script.stdinSecond !== undefined) {
            sendSecondWhenReceived(
              socket,
              received,
              script.stdin,
              script.stdinSecond,
              started!.child.stdin!,
            );
          }
          if (!script.peerHolds) socket.on('end', () => socket.end());
        });
      });
      let port: number;
      if (script.target === 'peer') {
        server.listen(0, script.peerAddress);
        await once(server, 'listening');
        port = (server.address() as { port: number }).port;
      } else {
        const chosen =
          script.target === 'later' ? await portToListenOnLater() : await hangingPort(t);
        if (chosen === undefined) throw new Error('the native addon is needed for a hanging port');
        port = chosen;
      }
      started = start(t, cliArgv(option, mode, [script.host, String(port)]), dir);
      if (script.target === 'later') {
        const failed = await lineOrEnd(started.child.stderr!, /"event":"connect-failed"/);
        if (failed !== undefined) server.listen(port, script.peerAddress);
      }
      if (script.idlePeer) session.then(() => started.child.stdin!.end());
      else if (
        ((script.probeSockets || script.endAfterReply) && !echoes) ||
        script.stdinSecond !== undefined
      ) {
        started.child.stdin!.write(script.stdin);
      } else started.child.stdin!.end(script.stdin);
      const result = await started.done;
      server.close();
      // A holding peer has nothing more to wait for once sockcat is gone.
      if (script.peerHolds) peerSocket?.destroy();
      else if (result.code === 0) await session;
      return exchange(result, received, dir, sockets, peerSaw);
    },
  };
}

/**
 * Listen modes over TCP: sockcat listens on port 0 (the port is read from its `listening`
 * event), one client connects here, sends its bytes and half-closes, and reads to EOF.
 * Without -k, sockcat's stdin is given whole at the start and it exits by itself (docs/eof.md);
 * with -k (or a broker), stdin is written once the client is accepted, the client closes once
 * it has it (or once sockcat closed), and sockcat is stopped with SIGTERM after the session.
 */
export function tcpListenDriver({ keepOpen = false, echoes = false } = {}): Driver {
  return {
    name: `tcp listen${keepOpen ? ' -k' : ''}${echoes ? ', exec' : ''}`,
    echoes,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const argv = cliArgv(option, mode, [script.host, '0']);
      const started = start(t, argv, dir);
      const { child } = started;
      const listening = await listeningOn(child.stderr!);
      if (listening === undefined) return exchange(await started.done, new Collector(), dir, '');
      const { address, port } = listening;
      if (!keepOpen && !script.idlePeer) {
        if (script.probeSockets || script.endAfterReply || script.stdinSecond !== undefined) {
          child.stdin!.write(script.stdin);
        } else child.stdin!.end(script.stdin);
      }
      const received = new Collector();
      const client = createConnection({ host: address, port, allowHalfOpen: true });
      t.after(() => client.destroy());
      client.on('error', () => {});
      // (events.once would reject on the 'error' of a reset: a reset is an outcome here.)
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('data', (chunk: Buffer) => received.add(chunk));
      if (script.stdinSecond !== undefined) {
        sendSecondWhenReceived(client, received, script.stdin, script.stdinSecond, child.stdin!);
      }
      await Promise.race([once(client, 'connect').catch(() => {}), closed]);
      let sockets = '';
      if (script.peerHolds) {
        client.write(script.peerSends);
        if (keepOpen) {
          // -k reads stdin for the clients in: it ends once this one is.
          const accepted = await Promise.race([
            lineOrEnd(child.stderr!, /"event":"accepted"|Connection from/),
            closed,
          ]);
          if (accepted !== undefined) child.stdin!.end(script.stdin);
        }
      } else if (script.peerCloses || script.denied) {
        client.end(script.peerSends);
      } else if (!script.idlePeer) {
        client.write(script.peerSends);
        if (keepOpen || script.probeSockets || script.endAfterReply) {
          const accepted = await Promise.race([
            lineOrEnd(child.stderr!, /"event":"accepted"|Connection from/),
            closed,
          ]);
          if (accepted !== undefined && keepOpen) child.stdin!.write(script.stdin);
          if (accepted !== undefined && script.secondClient) await turnedAway(t, address, port);
          // The client half-closes once it has the stdin line (or the echo; with two sends, the
          // second), or sockcat closed.
          const last = echoes ? script.peerSends : (script.stdinSecond ?? script.stdin);
          const want = String(last).trimEnd();
          await Promise.race([
            holds(received, want, client),
            new Promise<void>((resolve) => client.once('end', () => resolve())),
            closed,
          ]);
        }
        if (script.probeSockets) sockets = await socketsOf(child.pid!, 'tcp');
        if ((script.probeSockets || script.endAfterReply) && !keepOpen) {
          if (script.endAfterReply && !echoes) {
            await lineOrEnd(child.stdout!, replyPattern(script));
          }
          child.stdin!.end();
        }
        client.end();
      } else {
        // An idle peer closes once sockcat has closed (a socket at EOF holds no event loop).
        client.on('end', () => client.end());
      }
      if (script.peerHolds) {
        // The client stays until sockcat is gone (its FIN at stdin EOF does not end the client).
        await started.done;
        client.destroy();
      }
      await closed;
      if (script.idlePeer) child.stdin!.end();
      if ((keepOpen || script.denied) && child.exitCode === null) {
        await lineOrEnd(child.stderr!, script.denied ? /"event":"denied"/ : /"event":"closed"/);
        child.kill('SIGTERM');
      }
      return exchange(await started.done, received, dir, sockets);
    },
  };
}

/**
 * A listener to which a connect does not complete: a socket that listens with a backlog of 0 and
 * never accepts, its one place in the queue taken by a connection made here. The kernel drops
 * further SYNs, so a connect hangs until its -w timeout. Undefined without the native addon.
 */
export async function hangingPort(t: TestContext): Promise<number | undefined> {
  const native = loadNative();
  if (native === undefined) return undefined;
  const { AF_INET, SOCK_STREAM } = native.constants;
  const fd = native.socket(AF_INET, SOCK_STREAM, 0);
  t.after(() => native.close(fd));
  native.bind(fd, { address: '127.0.0.1', port: 0 });
  native.listen(fd, 0);
  const address = native.getsockname(fd);
  if (!('port' in address)) throw new Error('no TCP address');
  const filler = createConnection({ host: '127.0.0.1', port: address.port });
  t.after(() => filler.destroy());
  await once(filler, 'connect');
  return address.port;
}

/** Where sockcat says it listens: its `listening` event, or -v's "Listening on" line. */
export async function listeningOn(
  stderr: NodeJS.ReadableStream,
): Promise<{ address: string; port: number } | undefined> {
  const line = await lineOrEnd(stderr, /^\{.*"event":"listening".*\}$|Listening on (\S+):(\d+)/m);
  if (line === undefined) return undefined;
  if (line[2] !== undefined)
    return { address: line[1]!.replace(/^\[|\]$/g, ''), port: Number(line[2]) };
  const local = (JSON.parse(line[0]) as { local: { address: string; port: number } }).local;
  return { address: local.address, port: local.port };
}

/** A second client connects and is closed by sockcat (over -m): resolves once it is. */
async function turnedAway(t: TestContext, host: string, port: number): Promise<void> {
  const second = createConnection({ host, port });
  t.after(() => second.destroy());
  second.on('error', () => {});
  second.resume();
  await new Promise<void>((resolve) => second.once('close', () => resolve()));
}

/** Where a UDP-connected sockcat sends from: its `connected` event, or (-v) its socket in /proc. */
async function connectedFrom(
  started: Started,
): Promise<{ address: string; port: number } | undefined> {
  const line = await lineOrEnd(
    started.child.stderr!,
    /^\{.*"event":"connected".*\}$|Connected to/m,
  );
  if (line === undefined) return undefined;
  if (!line[0].startsWith('{')) {
    return { address: '127.0.0.1', port: await listeningPortOf(started.child.pid!, 'udp') };
  }
  return (JSON.parse(line[0]) as { local: { address: string; port: number } }).local;
}

/** UDP connect: the peer is a datagram socket here that answers sockcat's first datagram. */
export function udpConnectDriver({ echoes = false } = {}): Driver {
  return {
    name: echoes ? 'udp connect, exec' : 'udp connect',
    echoes,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const peer = createSocket(script.peerAddress.includes(':') ? 'udp6' : 'udp4');
      t.after(() => peer.close());
      const received = new Collector();
      peer.bind(0, script.peerAddress);
      await once(peer, 'listening');
      const port = peer.address().port;
      const started = start(t, cliArgv(option, mode, [script.host, String(port)]), dir);
      if (script.idlePeer) return exchange(await started.done, received, dir, '');
      if (echoes) {
        // The program writes nothing first: the peer sends to sockcat's port once it is connected.
        const local = await connectedFrom(started);
        if (local !== undefined) {
          peer.on('message', (data: Buffer) => received.add(data));
          peer.send(script.peerSends, local.port, local.address);
          await Promise.race([
            holds(received, script.reply ?? String(script.peerSends).trimEnd(), peer),
            started.done,
          ]);
          started.child.kill('SIGTERM');
        }
        return exchange(await started.done, received, dir, '', local);
      }
      started.child.stdin!.write(script.stdin);
      const first = await Promise.race([
        once(peer, 'message') as Promise<[Buffer, { port: number; address: string }]>,
        started.done.then(() => undefined),
      ]);
      let peerSaw: { address: string; port: number } | undefined;
      let sockets = '';
      if (first !== undefined) {
        received.add(first[0]);
        if (script.probeSockets) sockets = await socketsOf(started.child.pid!, 'udp');
        peer.on('message', (data: Buffer) => received.add(data));
        peerSaw = { address: first[1].address, port: first[1].port };
        peer.send(script.peerSends, first[1].port, first[1].address);
        await lineOrEnd(started.child.stdout!, new RegExp(String(script.peerSends).trim()));
        started.child.kill('SIGTERM');
      }
      return exchange(await started.done, received, dir, sockets, peerSaw);
    },
  };
}
