// Drivers for the observed option × mode matrix over Unix sockets (stream, datagram, seqpacket)
// and UDP listen modes, plain (no TLS). They follow matrix-drivers.ts's contract (the Script,
// the Exchange) so that the core observers apply, and add the `unixsock` and `seqpacket`
// observers. Node has no Unix datagram or seqpacket sockets: python3 is the peer for those.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import { stop, waitForLine } from './child.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Driver,
  type Exchange,
  exchange,
  lineOrEnd,
  type Started,
  start,
  tempDir,
} from './matrix-drivers.js';
import { assertDelivered, type Observer } from './matrix-observe.js';

/**
 * Options whose core observation cannot be made over a Unix socket: -n's observation names the
 * host `localhost` and expects it refused, but a Unix socket path names no host (nothing is
 * resolved either way, so the cell is honoured trivially and shows nothing).
 */
const UNIX_UNSUITED = ['nodns'] as const;

/**
 * Datagram modes cannot show --recv-only through this exchange, nor --send-only in connect mode
 * (as for udpConnectDriver): datagrams have no end, so that a stdin that is not sent, or a reply
 * that is not printed, could only be waited for with a timer.
 */
const DATAGRAM_UNSUITED = [...UNIX_UNSUITED, 'send-only', 'recv-only'] as const;

/**
 * The unsuited options of a driver: with -e the peer gets cat's echo, never sockcat's stdin, so
 * -C (which rewrites stdin's line ends) cannot show (the core observer excepts the TCP exec
 * drivers for the same reason).
 */
function unsuited(base: readonly string[], echoes: boolean): readonly string[] {
  return echoes ? [...base, 'crlf'] : base;
}

/** Where sockcat listens, from its `listening` event (or -v line); undefined if it exited first. */
async function listening(started: Started): Promise<{ address: string; port: number } | undefined> {
  // (A -v line inside a `log` event ends in `"}`, and matches none of these.)
  const line = await lineOrEnd(
    started.child.stderr!,
    /^\{.*"event":"listening".*\}$|Listening on \[?([^\]\s"]*?)\]?:(\d+)$|Listening on [/@][^\s"]*$/m,
  );
  if (line === undefined) return undefined;
  if (line[2] !== undefined) return { address: line[1]!, port: Number(line[2]) };
  if (!line[0].startsWith('{')) return { address: '', port: 0 };
  const local = (JSON.parse(line[0]) as { local: { address?: string; port?: number } }).local;
  return { address: local.address ?? '', port: local.port ?? 0 };
}

/** Resolves once `collector` holds `text` (checked whenever `onChunk` says something came). */
function holds(collector: Collector, text: string, onChunk: (check: () => void) => void) {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (collector.bytes.includes(text)) resolve();
    };
    onChunk(check);
    check();
  });
}

// ---------------------------------------------------------------------------------------------
// The python3 peer, for Unix datagram and seqpacket sockets.

/**
 * A peer in python3: it reports on stdout (`ready`, `accepted`, `recv HEX ADDRHEX`, `eof`,
 * `error TEXT`) and takes commands on stdin (`send HEX`: to the connected socket, to sockcat's
 * path, or back to the last sender; `shut`: SHUT_WR; its stdin's end closes it).
 */
const PYTHON_PEER = `
import os, select, socket, sys
role, path = sys.argv[1], sys.argv[2]
def say(*words):
    sys.stdout.write(' '.join(words) + '\\n'); sys.stdout.flush()
dest = None
if role == 'dgram-server':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path)
elif role == 'dgram-client':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[3]); dest = path
elif role == 'seqpacket-client':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(path)
else:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); listener.bind(path)
    listener.listen(1); say('ready'); s, _ = listener.accept(); say('accepted')
if role != 'seqpacket-server':
    say('ready')
dgram = role.startswith('dgram')
# Commands are read from the descriptor itself: a buffered sys.stdin would keep a second line
# that select() no longer sees.
watched, commands = [s, 0], b''
while watched:
    for ready in select.select(watched, [], [])[0]:
        if ready == 0:
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(0)
            commands += chunk
            while b'\\n' in commands:
                line, commands = commands.split(b'\\n', 1)
                word, _, arg = line.decode().strip().partition(' ')
                try:
                    if word == 'shut':
                        s.shutdown(socket.SHUT_WR)
                    elif dgram:
                        s.sendto(bytes.fromhex(arg), dest)
                    else:
                        s.sendall(bytes.fromhex(arg))
                except OSError as error:
                    say('error', str(error).replace(' ', '_'))
        elif dgram:
            data, addr = s.recvfrom(65536)
            addr = addr if isinstance(addr, bytes) else (addr or '').encode()
            dest = dest if role == 'dgram-client' else addr
            say('recv', data.hex(), addr.hex() or '-')
        else:
            data = s.recv(65536)
            if data:
                say('recv', data.hex(), '-')
            else:
                say('eof'); watched.remove(s)
`;

export interface PythonPeer {
  /** What the peer received. */
  received: Collector;
  /** Calls `check` on every report line. */
  onLine(check: () => void): void;
  /** Resolves with a report line matching `pattern`, or undefined once the peer has exited. */
  line(pattern: RegExp): Promise<RegExpExecArray | undefined>;
  send(text: string): void;
  shut(): void;
}

export function pythonPeer(t: TestContext, dir: string, argv: readonly string[]): PythonPeer {
  const child = spawn('python3', ['-c', PYTHON_PEER, ...argv], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => stop(child));
  child.stdin.on('error', () => {});
  const received = new Collector();
  const checks: Array<() => void> = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const recv = /^recv (\S*) (\S+)$/.exec(line);
      if (recv) {
        received.add(Buffer.from(recv[1]!, 'hex'));
      }
    }
    for (const check of checks) check();
  });
  const command = (line: string) => {
    if (child.exitCode === null) child.stdin.write(`${line}\n`);
  };
  return {
    received,
    onLine: (check) => checks.push(check),
    line: (pattern) => waitForLine(child.stdout, pattern).catch(() => undefined),
    send: (text) => command(`send ${Buffer.from(text).toString('hex')}`),
    shut: () => command('shut'),
  };
}

// ---------------------------------------------------------------------------------------------
// Unix stream sockets (-U), as the TCP drivers do it.

/**
 * Sends `text` once sockcat's first bytes have come. A Unix stream socket that writes to a peer
 * already gone fails at once (EPIPE, where TCP would only see a reset later), and Node then
 * destroys it with sockcat's bytes unread: --send-only sends its stdin and exits at once, which
 * can be before the peer's first write.
 */
function sendOnceHeard(socket: Socket, text: string, { end = false } = {}): void {
  socket.once('data', () => (end ? socket.end(text) : socket.write(text)));
}

/**
 * `-U PATH` connect modes: the peer is a net.Server on a path in the run's private directory
 * (mkdtemp makes it mode 0700); sockcat connects, sends its stdin and half-closes at its end; the
 * peer sends its bytes, reads to EOF, and then closes. With the script's target 'later' the path
 * is bound only once sockcat reports a failed attempt (--retry).
 */
export function unixConnectDriver({ echoes = false } = {}): Driver {
  return {
    name: echoes ? 'unix connect, exec' : 'unix connect',
    echoes,
    unsuited: unsuited(UNIX_UNSUITED, echoes),
    observers: {
      'proxy-protocol': {
        // A Unix socket has no addresses to give: the v1 header says UNKNOWN (v2 says LOCAL).
        async observe({ run, baseline, driver }) {
          const withIt = await run(['--proxy-protocol', 'v1']);
          assertDelivered(withIt, driver, '--proxy-protocol');
          assert.match(withIt.received.toString(), /^PROXY UNKNOWN\r\n/);
          assert.doesNotMatch((await baseline()).received.toString(), /PROXY/);
        },
      },
    },
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'peer.sock');
      const received = new Collector();
      const server: Server = createServer({ allowHalfOpen: true });
      t.after(() => server.close());
      let peer: Socket | undefined;
      const session = new Promise<void>((resolve) => {
        server.once('connection', (socket: Socket) => {
          t.after(() => socket.destroy());
          peer = socket;
          socket.on('error', () => {});
          socket.on('close', () => resolve());
          socket.on('data', (chunk: Buffer) => received.add(chunk));
          if (script.idlePeer) {
            // It sends nothing, and closes once sockcat has closed.
          } else if (script.peerCloses || echoes) socket.end(String(script.peerSends));
          else sendOnceHeard(socket, String(script.peerSends));
          // A holding peer never closes first: it stays until sockcat has gone (for -q).
          if (!script.peerHolds) socket.on('end', () => socket.end());
        });
      });
      if (script.target !== 'later') {
        server.listen(path);
        await once(server, 'listening');
      }
      const started = start(t, cliArgv(option, mode, [path]), dir);
      if (script.target === 'later') {
        const failed = await lineOrEnd(started.child.stderr!, /"event":"connect-failed"/);
        if (failed !== undefined) server.listen(path);
      }
      if (script.idlePeer) session.then(() => started.child.stdin!.end());
      else started.child.stdin!.end(script.stdin);
      const result = await started.done;
      server.close();
      if (script.peerHolds) peer?.destroy();
      else if (result.code === 0) await session;
      return exchange(result, received, dir, '');
    },
  };
}

/**
 * `-U -l PATH` listen modes: sockcat listens on a path in the run's directory (from its
 * `listening` event), one client connects, sends its bytes and half-closes, and reads to EOF.
 * Without -k stdin is given whole at the start; with -k it is written once the client is
 * accepted, the client closes once it has it (or the echo), and sockcat is stopped with SIGTERM
 * after the session (as tcpListenDriver).
 */
export function unixListenDriver({ keepOpen = false, echoes = false } = {}): Driver {
  return {
    name: `unix listen${keepOpen ? ' -k' : ''}${echoes ? ', exec' : ''}`,
    echoes,
    unsuited: unsuited(UNIX_UNSUITED, echoes),
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'sockcat.sock');
      const started = start(t, cliArgv(option, mode, [path]), dir);
      const { child } = started;
      if ((await listening(started)) === undefined) {
        return exchange(await started.done, new Collector(), dir, '');
      }
      if (!keepOpen && !script.idlePeer) child.stdin!.end(script.stdin);
      const received = new Collector();
      const client = createConnection({ path, allowHalfOpen: true });
      t.after(() => client.destroy());
      client.on('error', () => {});
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('data', (chunk: Buffer) => received.add(chunk));
      await Promise.race([once(client, 'connect').catch(() => {}), closed]);
      if (script.peerCloses) {
        client.end(String(script.peerSends));
      } else if (script.peerHolds && !keepOpen) {
        // The client never closes first: it stays until sockcat has gone (for -q).
        sendOnceHeard(client, String(script.peerSends));
        await started.done;
        client.destroy();
      } else if (!script.idlePeer && !keepOpen) {
        if (echoes) client.end(String(script.peerSends));
        else sendOnceHeard(client, String(script.peerSends), { end: true });
      } else if (!script.idlePeer) {
        client.write(String(script.peerSends));
        const accepted = await Promise.race([
          lineOrEnd(child.stderr!, /"event":"accepted"|Connection from/),
          closed,
        ]);
        if (accepted !== undefined) child.stdin!.write(script.stdin);
        const want = (echoes ? String(script.peerSends) : script.stdin).trimEnd();
        await Promise.race([
          holds(received, want, (check) => client.on('data', check)),
          once(client, 'end'),
          closed,
        ]);
        client.end();
      } else {
        client.on('end', () => client.end());
      }
      await closed;
      if (script.idlePeer) child.stdin!.end();
      if (keepOpen && child.exitCode === null) {
        await lineOrEnd(child.stderr!, /"event":"closed"/);
        child.kill('SIGTERM');
      }
      return exchange(await started.done, received, dir, '');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Seqpacket (-U --seqpacket): a python3 SOCK_SEQPACKET peer, with the stream EOF rules.

/**
 * `-U --seqpacket -l PATH`: sockcat listens, a python3 SOCK_SEQPACKET client connects, sends its
 * message and shuts down its sending side (stdin is given whole at the start), reads to the end
 * of the stream and leaves. An idle client sends nothing and leaves once sockcat has closed.
 */
export function seqpacketListenDriver({ echoes = false } = {}): Driver {
  return {
    name: `seqpacket listen${echoes ? ', exec' : ''}`,
    echoes,
    unsuited: unsuited(UNIX_UNSUITED, echoes),
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'sockcat.sock');
      const started = start(t, cliArgv(option, mode, [path]), dir);
      if ((await listening(started)) === undefined) {
        return exchange(await started.done, new Collector(), dir, '');
      }
      if (!script.idlePeer) started.child.stdin!.end(script.stdin);
      const peer = pythonPeer(t, dir, ['seqpacket-client', path]);
      if ((await peer.line(/^ready$/m)) !== undefined && !script.idlePeer) {
        peer.send(String(script.peerSends));
        // A holding peer never ends its side: only sockcat can end the session (for -q).
        if (!script.peerHolds) peer.shut();
      }
      await peer.line(/^eof$/m);
      if (script.idlePeer) started.child.stdin!.end();
      return exchange(await started.done, peer.received, dir, '');
    },
  };
}

/**
 * `--seqpacket -U PATH` (connect): the peer is a python3 SOCK_SEQPACKET listener; sockcat
 * connects, sends its stdin and shuts down at its end; the peer sends its message, and shuts
 * down its side once it has seen sockcat's end.
 */
export function seqpacketConnectDriver(): Driver {
  return {
    name: 'seqpacket connect',
    echoes: false,
    unsuited: UNIX_UNSUITED,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'peer.sock');
      const peer = pythonPeer(t, dir, ['seqpacket-server', path]);
      await peer.line(/^ready$/m);
      const started = start(t, cliArgv(option, mode, [path]), dir);
      const accepted = await Promise.race([peer.line(/^accepted$/m), started.done]);
      if (accepted !== undefined && 'index' in accepted) {
        if (!script.idlePeer) peer.send(String(script.peerSends));
        if (script.peerCloses) peer.shut();
        if (!script.idlePeer) started.child.stdin!.end(script.stdin);
        const eof = await Promise.race([peer.line(/^eof$/m), started.done]);
        if (eof !== undefined && 'index' in eof) peer.shut();
        if (script.idlePeer) started.child.stdin!.end();
      }
      return exchange(await started.done, peer.received, dir, '');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Datagrams: Unix datagram connect, and Unix datagram and UDP listen.

/**
 * `-U -u PATH` (connect): the peer is a python3 datagram socket bound to PATH; sockcat binds
 * its own autobound name (docs/cli.md), sends a datagram of its stdin, and the peer answers it
 * to the name it came from. Datagrams have no end (docs/eof.md): once the answer is on stdout,
 * sockcat is stopped with SIGTERM, as udpConnectDriver does.
 */
export function unixDatagramConnectDriver(): Driver {
  return {
    name: 'unix-dgram connect',
    echoes: false,
    unsuited: DATAGRAM_UNSUITED,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'peer.sock');
      const peer = pythonPeer(t, dir, ['dgram-server', path]);
      await peer.line(/^ready$/m);
      const started = start(t, cliArgv(option, mode, [path]), dir);
      if (!script.idlePeer) {
        started.child.stdin!.write(script.stdin);
        const first = await Promise.race([peer.line(/^recv /m), started.done]);
        if (first !== undefined && 'index' in first) {
          peer.send(String(script.peerSends));
          await lineOrEnd(started.child.stdout!, new RegExp(String(script.peerSends).trim()));
          started.child.kill('SIGTERM');
        }
      }
      return exchange(await started.done, peer.received, dir, '');
    },
  };
}

/** The peer of a datagram listen mode, as the driver needs it. */
interface DatagramClient {
  received: Collector;
  /** Calls `check` whenever something arrives. */
  onData(check: () => void): void;
  send(text: string): void;
}

/** A node:dgram socket on loopback that sends to sockcat's port. */
async function udpClient(t: TestContext, host: string, port: number): Promise<DatagramClient> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  t.after(() => socket.close());
  socket.on('error', () => {});
  const received = new Collector();
  socket.on('message', (data: Buffer) => received.add(data));
  socket.bind(0, host);
  await once(socket, 'listening');
  return {
    received,
    onData: (check) => socket.on('message', check),
    send: (text) => socket.send(text, port, host),
  };
}

/** A python3 Unix datagram socket bound to its own path (so sockcat can answer), sending to sockcat's. */
async function unixDatagramClient(t: TestContext, dir: string, path: string) {
  const peer = pythonPeer(t, dir, ['dgram-client', path, join(dir, 'client.sock')]);
  await peer.line(/^ready$/m);
  const client: DatagramClient = {
    received: peer.received,
    onData: (check) => peer.onLine(check),
    send: (text) => peer.send(text),
  };
  return client;
}

/**
 * Datagram listen modes (`-u -l`, `-u -l -k`, `-U -u -l`, `-U -u -l -k`, with -e or not):
 * sockcat listens (port or path from its `listening` event), the client sends the first
 * datagram, sockcat answers with its stdin (given whole at the start: stdin EOF ends nothing in
 * listen mode, docs/eof.md U3, U11, and stdin is read once the first datagram came, U10, U13) or
 * with cat's echo. There is no end of file: once both directions are seen (or sockcat has
 * exited, as --send-only does at stdin EOF), sockcat is stopped with SIGTERM. A denied client
 * waits for the `denied` event; an idle one sends its one datagram (a datagram listener has no
 * session before it) and waits for sockcat to end the session.
 */
export function datagramListenDriver({
  unix = false,
  keepOpen = false,
  echoes = false,
} = {}): Driver {
  return {
    name: `${unix ? 'unix-dgram' : 'udp'} listen${keepOpen ? ' -k' : ''}${echoes ? ', exec' : ''}`,
    echoes,
    // --send-only shows in once mode, which exits at stdin EOF (docs/eof.md U6); -k goes on.
    unsuited: unsuited(
      [...(unix ? UNIX_UNSUITED : []), ...(keepOpen ? ['send-only'] : []), 'recv-only'],
      echoes,
    ),
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const path = join(dir, 'sockcat.sock');
      const started = start(t, cliArgv(option, mode, unix ? [path] : [script.host, '0']), dir);
      const { child } = started;
      const ready = await listening(started);
      if (ready === undefined) return exchange(await started.done, new Collector(), dir, '');
      if (!script.idlePeer) child.stdin!.end(script.stdin);
      const client = unix
        ? await unixDatagramClient(t, dir, path)
        : await udpClient(t, ready.address, ready.port);
      client.send(String(script.peerSends));
      const exited = started.done.then(() => undefined);
      if (script.denied) {
        await Promise.race([lineOrEnd(child.stderr!, /"event":"denied"/), exited]);
      } else if (script.idlePeer) {
        await Promise.race([lineOrEnd(child.stderr!, /"event":"closed"/), exited]);
        child.stdin!.end();
      } else {
        const back = script.reply ?? String(echoes ? script.peerSends : script.stdin).trimEnd();
        const both = Promise.all([
          holds(client.received, back, (check) => client.onData(check)),
          echoes
            ? undefined
            : lineOrEnd(child.stdout!, new RegExp(String(script.peerSends).trim())),
        ]);
        await Promise.race([both, exited]);
      }
      if (child.exitCode === null) child.kill('SIGTERM');
      return exchange(await started.done, client.received, dir, '');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The chooser and the observers.

const DRIVERS = {
  unixConnect: unixConnectDriver(),
  unixConnectExec: unixConnectDriver({ echoes: true }),
  unixListen: unixListenDriver(),
  unixListenExec: unixListenDriver({ echoes: true }),
  unixListenKeepOpen: unixListenDriver({ keepOpen: true }),
  unixListenKeepOpenExec: unixListenDriver({ keepOpen: true, echoes: true }),
  seqpacketConnect: seqpacketConnectDriver(),
  seqpacketListen: seqpacketListenDriver(),
  seqpacketListenExec: seqpacketListenDriver({ echoes: true }),
  unixDatagramConnect: unixDatagramConnectDriver(),
  unixDatagramListen: datagramListenDriver({ unix: true }),
  unixDatagramListenExec: datagramListenDriver({ unix: true, echoes: true }),
  unixDatagramListenKeepOpen: datagramListenDriver({ unix: true, keepOpen: true }),
  unixDatagramListenKeepOpenExec: datagramListenDriver({
    unix: true,
    keepOpen: true,
    echoes: true,
  }),
  udpListen: datagramListenDriver(),
  udpListenExec: datagramListenDriver({ echoes: true }),
  udpListenKeepOpen: datagramListenDriver({ keepOpen: true }),
  udpListenKeepOpenExec: datagramListenDriver({ keepOpen: true, echoes: true }),
};

/**
 * Unix stream, datagram and seqpacket sockets, and UDP listen modes, without TLS: stdio and
 * -e/-c. (UDP and Unix datagram connect mode with -e has no driver: the peer cannot learn
 * sockcat's address before the command has written something.)
 */
export function chooseUnix(layers: Layers, _options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security !== 'plain' || (io !== 'stdio' && io !== 'exec')) return undefined;
  if (multiplicity === 'broker' || multiplicity === 'chat') return undefined;
  const exec = io === 'exec';
  const keepOpen = multiplicity === 'keep-open';
  const pick = <T>(once: T, onceExec: T, kept: T, keptExec: T): T =>
    keepOpen ? (exec ? keptExec : kept) : exec ? onceExec : once;
  switch (transport) {
    case 'unix':
      // -k in connect mode only changes what the peer's FIN does (docs/eof.md row 2k).
      if (role === 'connect') return exec ? DRIVERS.unixConnectExec : DRIVERS.unixConnect;
      return pick(
        DRIVERS.unixListen,
        DRIVERS.unixListenExec,
        DRIVERS.unixListenKeepOpen,
        DRIVERS.unixListenKeepOpenExec,
      );
    case 'seqpacket':
      if (role === 'connect') return exec ? undefined : DRIVERS.seqpacketConnect;
      if (keepOpen) return undefined;
      return exec ? DRIVERS.seqpacketListenExec : DRIVERS.seqpacketListen;
    case 'unix-dgram':
      if (role === 'connect') return exec || keepOpen ? undefined : DRIVERS.unixDatagramConnect;
      return pick(
        DRIVERS.unixDatagramListen,
        DRIVERS.unixDatagramListenExec,
        DRIVERS.unixDatagramListenKeepOpen,
        DRIVERS.unixDatagramListenKeepOpenExec,
      );
    case 'udp':
      if (role === 'connect') return undefined;
      return pick(
        DRIVERS.udpListen,
        DRIVERS.udpListenExec,
        DRIVERS.udpListenKeepOpen,
        DRIVERS.udpListenKeepOpenExec,
      );
    default:
      return undefined;
  }
}

/** The transports the run's endpoint events (listening, connected, accepted) name. */
function transportsOf(run: Exchange): string[] {
  return run.events
    .filter((event) => ['listening', 'connected', 'accepted'].includes(event.event))
    .map((event) => String(event['transport']));
}

/**
 * -U and --seqpacket make the mode a Unix one (formsMode-style): the drivers' peers are Unix
 * sockets of the kind the mode needs (a SOCK_STREAM client cannot connect to a SOCK_SEQPACKET
 * socket, nor the other way round), so delivering both ways is the observation; the events must
 * say so too.
 */
export const UNIX_OBSERVERS: Readonly<Record<string, Observer>> = {
  unixsock: {
    async observe({ run, driver, argv }) {
      const withIt = await run();
      assertDelivered(withIt, driver, argv.join(' '));
      const want = driver.name.startsWith('unix-dgram') ? 'unix-dgram' : 'unix';
      const transports = transportsOf(withIt);
      assert.ok(transports.length > 0, withIt.stderr);
      assert.ok(
        transports.every((transport) => transport === want),
        `${want}: ${withIt.stderr}`,
      );
    },
  },
  seqpacket: {
    async observe({ run, driver, argv }) {
      const withIt = await run();
      assertDelivered(withIt, driver, argv.join(' '));
      // docs/json-events.md has no transport of its own for seqpacket: it is a Unix one.
      const transports = transportsOf(withIt);
      assert.ok(transports.length > 0, withIt.stderr);
      assert.ok(
        transports.every((transport) => transport === 'unix'),
        withIt.stderr,
      );
    },
  },
};
