// The observed option × mode matrix for what needs a terminal or the IP header: --progress (stderr
// a terminal), --raw (stdin a terminal), --ttl (what the IP header of sockcat's packets carries)
// and --no-shutdown (whether a FIN comes at stdin's end).
//
// Every cell of these options already has a driver (matrix-drivers.ts and the other families),
// so this family has no chooser. --progress and --ttl run the cell's own driver with the CLI under a
// wrapper (through matrix-drivers.ts's `spawnWith`): stderr on a pseudo-terminal, or a relay in
// front of the driver's peer that reads the TTL. --raw and --no-shutdown need a script the
// shared drivers have not got (typing on a terminal as the peer hears it; a peer that closes at
// sockcat's FIN, not before): their observers run the cell's mode with a peer of their own.
import assert from 'node:assert/strict';
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { parseArgs } from '../../src/cli/args.js';
import { type Layers, layersOf } from '../../src/cli/layers.js';
import type { MatrixMode } from '../../src/cli/option-matrix.js';
import type { Finished } from './child.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Exchange,
  exchange,
  holds,
  lineOrEnd,
  listeningOn,
  type Started,
  spawnWith,
  start,
  tempDir,
} from './matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer, okRun } from './matrix-observe.js';
import { pythonPeer } from './matrix-unix.js';
import { BIN } from './paths.js';
import { requirePeer } from './peers.js';

// ---------------------------------------------------------------------------------------------
// --progress: stderr on a pseudo-terminal.

/**
 * Runs argv with stderr on a pseudo-terminal (stdin and stdout stay the caller's pipes) and passes
 * what the terminal shows on to its own stderr as it comes, each meter drawing (from a `\r` to
 * the next `\r`, `\n` or `{`) on a line of its own, `\r\n` first and `\n` after: a redraw ends
 * in no newline, and an event written after it must still start its own line (the drivers read
 * events line by line). The terminal writes bytes as given (no `\n` to `\r\n`). Signals are
 * passed on to the CLI, which dies with the wrapper (PR_SET_PDEATHSIG), and the wrapper ends as
 * the CLI did.
 */
const STDERR_ON_TERMINAL = `
import ctypes, os, pty, signal, subprocess, sys, termios
master, slave = pty.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
libc = ctypes.CDLL(None)
child = subprocess.Popen(
    sys.argv[1:], stderr=slave, preexec_fn=lambda: libc.prctl(1, signal.SIGKILL)
)
os.close(slave)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, lambda s, f: child.send_signal(s))
drawing = False
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out = bytearray()
    for byte in data:
        if byte == 13 or (drawing and byte == 123):
            if drawing:
                out += b'\\n'
            drawing = byte == 13
            out += b'\\r\\n' if drawing else b'{'
        else:
            drawing = drawing and byte != 10
            out.append(byte)
    sys.stderr.buffer.write(out)
    sys.stderr.flush()
code = child.wait()
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
`;

function stderrOnTerminal(python: string) {
  return (argv: readonly string[], options: SpawnOptions): ChildProcess =>
    spawn(python, ['-c', STDERR_ON_TERMINAL, process.execPath, BIN, ...argv], {
      stdio: 'pipe',
      ...options,
    });
}

/** The meter's last drawing (the one finish() ends with a newline), as [sent, received] text. */
function finalMeter(stderr: string): { sent: string; received: string } | undefined {
  const lines = [
    ...stderr.matchAll(/\r\n(sent (\S+ \S+) {2}received (\S+ \S+) {2}\S+ \S+\/s {2}\d+:\d\d) *\n/g),
  ];
  const last = lines.at(-1);
  return last ? { sent: last[2]!, received: last[3]! } : undefined;
}

/** What the meter would show for `bytes` below 1 KiB (the drivers' exchanges are that small). */
function shown(bytes: number): string {
  return `${bytes} B`;
}

function totals(run: Exchange): { sent: number; received: number } {
  let sent = 0;
  let received = 0;
  for (const closed of eventsNamed(run, 'closed')) {
    sent += Number(closed['sent'] ?? 0);
    received += Number(closed['received'] ?? 0);
  }
  return { sent, received };
}

// ---------------------------------------------------------------------------------------------
// One stream session (TCP or a Unix stream socket, connect or listen) with a peer here.

/** A session's two ends: the CLI (as start() made it) and the peer's socket. */
interface Session {
  started: Started;
  dir: string;
  /** The peer's connected socket, or undefined when sockcat ended before there was one. */
  peer: Socket | undefined;
  received: Collector;
  /** Resolves once the peer's socket has closed (at once without a peer). */
  peerClosed: Promise<void>;
}

/**
 * Start the CLI with `option` in front of `mode` (its layers given) and connect it to a peer:
 * a listener here in connect modes (on 127.0.0.1 port 0, or a path in the run's directory), a
 * client of sockcat's `listening` address in listen modes. The peer collects what it gets, and
 * closes once sockcat's FIN has come.
 */
async function openSession(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
  layers: Layers,
): Promise<Session> {
  const dir = tempDir(t, {});
  const unix = layers.transport === 'unix';
  const path = join(dir, 'term.sock');
  const received = new Collector();
  const track = (socket: Socket) => {
    t.after(() => socket.destroy());
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => received.add(chunk));
    // The peer closes once sockcat has closed its sending side (FIN), not before: a half-open
    // socket that reads no more would not keep the event loop alive.
    socket.on('end', () => socket.end());
    return new Promise<void>((resolve) => socket.once('close', () => resolve()));
  };
  if (layers.role === 'connect') {
    const server = createServer({ allowHalfOpen: true });
    t.after(() => server.close());
    if (unix) server.listen(path);
    else server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const target = unix
      ? [path]
      : ['127.0.0.1', String((server.address() as { port: number }).port)];
    const started = start(t, cliArgv(option, mode, target), dir);
    const peer = await Promise.race([
      once(server, 'connection').then(([socket]) => socket as Socket),
      started.done.then(() => undefined),
    ]);
    server.close();
    const peerClosed = peer ? track(peer) : Promise.resolve();
    return { started, dir, peer, received, peerClosed };
  }
  const started = start(t, cliArgv(option, mode, unix ? [path] : ['127.0.0.1', '0']), dir);
  const listening = unix
    ? await lineOrEnd(started.child.stderr!, /"event":"listening"/)
    : await listeningOn(started.child.stderr!);
  if (listening === undefined) {
    return { started, dir, peer: undefined, received, peerClosed: Promise.resolve() };
  }
  const peer = unix
    ? createConnection({ path, allowHalfOpen: true })
    : createConnection({
        ...(listening as { address: string; port: number }),
        allowHalfOpen: true,
      });
  const peerClosed = track(peer);
  await Promise.race([once(peer, 'connect').catch(() => {}), peerClosed]);
  return { started, dir, peer, received, peerClosed };
}

/** The layers a cell's argv (the option, then the mode) asks for. */
function layersOfCell(option: readonly string[], mode: MatrixMode): Layers {
  return layersOf(parseArgs([...option, ...mode.argv], { env: {} }));
}

// ---------------------------------------------------------------------------------------------
// --raw: stdin on a pseudo-terminal.

/**
 * Runs argv with stdin on a pseudo-terminal that is its controlling terminal (a new session, in
 * the foreground: Ctrl-C there is SIGINT to it); stdout and stderr stay the caller's pipes. What
 * comes on this wrapper's stdin is typed on the terminal. On fd 3 it reports the terminal's
 * settings before the CLI started and once it has exited (`before`/`after`, as repr lines) and
 * what the terminal showed (its echo, hex). The CLI dies with the wrapper (PR_SET_PDEATHSIG);
 * SIGTERM is passed on; the wrapper ends as the CLI did.
 */
const STDIN_ON_TERMINAL = `
import ctypes, fcntl, os, pty, select, signal, sys, termios
os.set_inheritable(3, False)
report = os.fdopen(3, 'w')
master, slave = pty.openpty()
before = termios.tcgetattr(slave)
libc = ctypes.CDLL(None)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.dup2(slave, 0)
    os.close(slave)
    os.close(master)
    libc.prctl(1, signal.SIGKILL)
    os.execv(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGTERM, lambda s, f: os.kill(pid, s))
exited = os.pidfd_open(pid)
shown = b''
typing = True
while True:
    ready = select.select([exited, master] + ([0] if typing else []), [], [])[0]
    if master in ready:
        shown += os.read(master, 65536)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            typing = False
    if exited in ready:
        break
status = os.waitpid(pid, 0)[1]
# The slave is still open here: its settings are the ones the CLI left.
report.write('before %r\\nafter %r\\nshown %s\\n' % (before, termios.tcgetattr(slave), shown.hex()))
report.close()
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
`;

function stdinOnTerminal(python: string) {
  return (argv: readonly string[], options: SpawnOptions): ChildProcess =>
    spawn(python, ['-c', STDIN_ON_TERMINAL, process.execPath, BIN, ...argv], {
      ...options,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
}

interface TerminalExchange extends Exchange {
  /** The terminal's settings before the run and after it, as the wrapper saw them. */
  before: string;
  after: string;
  /** What the terminal showed (its echo of what was typed). */
  shown: string;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

/**
 * A session with stdin on a terminal, where `x` and then Ctrl-C (0x03) are typed. With `raw`,
 * each is typed once the peer has the one before (`x` without a newline only comes through a
 * terminal that is not line-buffered, so it shows that raw mode is on), then Enter `~` `.` ends
 * the session. Without, the two are typed at once, and the Ctrl-C is for the terminal.
 */
async function terminalRun(
  t: TestContext,
  python: string,
  option: readonly string[],
  mode: MatrixMode,
  raw: boolean,
): Promise<TerminalExchange> {
  const layers = layersOfCell(option, mode);
  const session = await spawnWith.run(stdinOnTerminal(python), () =>
    openSession(t, option, mode.argv, layers),
  );
  const { started, received, peer } = session;
  const report = readAll(started.child.stdio[3] as Readable);
  const type = (bytes: string) => started.child.stdin!.write(bytes);
  const heard = async (text: string) =>
    Promise.race([holds(received, text, peer!).then(() => true), started.done.then(() => false)]);
  if (peer !== undefined) {
    type('x');
    if (!raw) type('\x03');
    else if (await heard('x')) {
      type('\x03');
      if (await heard('x\x03')) type('\r~.');
    }
  }
  const result: Finished = await started.done;
  await session.peerClosed;
  const lines = Object.fromEntries(
    (await report)
      .split('\n')
      .map((line) => [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)]),
  );
  return {
    ...exchange(result, received, session.dir, ''),
    before: lines['before'] ?? '',
    after: lines['after'] ?? '',
    shown: Buffer.from(lines['shown'] ?? '', 'hex').toString('latin1'),
  };
}

/** The modes --raw is honoured in: once, connect or listen, TCP or a Unix stream socket. */
const TERMINAL_DRIVERS = ['tcp connect', 'tcp listen', 'unix connect', 'unix listen'];

// ---------------------------------------------------------------------------------------------
// --no-shutdown: does a FIN come at stdin's end?

/**
 * A session where sockcat's stdin (`from-stdin\n`) ends at once and the peer sends `from-peer\n`
 * (a Unix peer once sockcat's bytes are in: see matrix-unix.ts's sendOnceHeard) and closes as
 * soon as a FIN comes, not before. `-q` is given: without a FIN at stdin's end, it is -q's delay
 * that ends the session (reason `quit-after-eof`); with one, the peer's close does (`peer-eof`).
 * With -k, sockcat is stopped once the session's `closed` event is out.
 */
async function finRun(
  t: TestContext,
  option: readonly string[],
  mode: MatrixMode,
): Promise<Exchange> {
  const layers = layersOfCell(option, mode);
  const withQuit = [...option, '-q', QUIT_DELAY];
  if (layers.transport === 'seqpacket') return seqpacketFinRun(t, withQuit, mode.argv);
  const session =
    layers.transport === 'websocket'
      ? await openWebSocketSession(t, withQuit, mode.argv, layers)
      : await openSession(t, withQuit, mode.argv, layers);
  const { started, received, peer } = session;
  const { child } = started;
  if (peer !== undefined) {
    if (peer instanceof WebSocket) peer.send(Buffer.from('from-peer\n'));
    else if (layers.transport === 'unix') peer.once('data', () => peer.write('from-peer\n'));
    else peer.write('from-peer\n');
    child.stdin!.end(DEFAULT_SCRIPT.stdin);
    if (layers.multiplicity === 'keep-open') {
      const closed = await lineOrEnd(child.stderr!, /"event":"closed"/);
      if (closed !== undefined) child.kill('SIGTERM');
    }
  }
  const result = await started.done;
  await session.peerClosed;
  return exchange(result, received, session.dir, '');
}

/**
 * finRun for `-U --seqpacket -l PATH`: the peer is matrix-unix.ts's python3 SOCK_SEQPACKET client,
 * which shuts down its side once it has read sockcat's end.
 */
async function seqpacketFinRun(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
): Promise<Exchange> {
  const dir = tempDir(t, {});
  const path = join(dir, 'sockcat.sock');
  const started = start(t, cliArgv(option, mode, [path]), dir);
  const listening = await lineOrEnd(started.child.stderr!, /"event":"listening"/);
  if (listening === undefined) return exchange(await started.done, new Collector(), dir, '');
  started.child.stdin!.end(DEFAULT_SCRIPT.stdin);
  const peer = pythonPeer(t, dir, ['seqpacket-client', path]);
  if ((await peer.line(/^ready$/m)) !== undefined) {
    peer.send('from-peer\n');
    if ((await Promise.race([peer.line(/^eof$/m), started.done])) !== undefined) peer.shut();
  }
  return exchange(await started.done, peer.received, dir, '');
}

/**
 * openSession over WebSocket (ws://, -l --websocket): the peer is a `ws` server or client, which
 * answers sockcat's Close frame (what stands for FIN there: docs/eof.md W1, W3) and then closes.
 */
async function openWebSocketSession(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
  layers: Layers,
): Promise<Omit<Session, 'peer'> & { peer: WebSocket | undefined }> {
  const dir = tempDir(t, {});
  const received = new Collector();
  const track = (ws: WebSocket) => {
    t.after(() => ws.terminate());
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => received.add(data));
    return new Promise<void>((resolve) => ws.once('close', () => resolve()));
  };
  if (layers.role === 'connect') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    t.after(() => server.close());
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const started = start(t, cliArgv(option, mode, [url]), dir);
    const peer = await Promise.race([
      once(server, 'connection').then(([ws]) => ws as WebSocket),
      started.done.then(() => undefined),
    ]);
    server.close();
    return { started, dir, peer, received, peerClosed: peer ? track(peer) : Promise.resolve() };
  }
  const started = start(t, cliArgv(option, mode, ['127.0.0.1', '0']), dir);
  const listening = await listeningOn(started.child.stderr!);
  if (listening === undefined) {
    return { started, dir, peer: undefined, received, peerClosed: Promise.resolve() };
  }
  const peer = new WebSocket(`ws://127.0.0.1:${listening.port}/`);
  const peerClosed = track(peer);
  const open = await Promise.race([once(peer, 'open').then(() => true), peerClosed]);
  return { started, dir, peer: open ? peer : undefined, received, peerClosed };
}

/**
 * -q's delay in finRun: what bounds a run without a FIN. A run with one has the whole delay for
 * the FIN, the peer's close and its FIN back on loopback: generous, for a loaded CI machine (the
 * run with --no-shutdown always takes all of it).
 */
const QUIT_DELAY = '3s';

const FIN_DRIVERS = [
  'tcp connect',
  'tcp listen',
  'tcp listen -k',
  'unix connect',
  'unix listen',
  'ws connect',
  'ws listen',
  'ws listen -k',
  'seqpacket listen',
];

function closedReason(run: Exchange): unknown {
  return eventsNamed(run, 'closed')[0]?.['reason'];
}

// ---------------------------------------------------------------------------------------------
// --ttl: the TTL of the packets sockcat sends, seen by a relay between it and the driver's peer.

/**
 * Runs the CLI with a relay between it and the driver's peer, and reports on fd 3 what the
 * relay saw of the TTL of sockcat's packets. argv[1] is the relay's kind:
 * - `udp`: sockcat's target (argv's last word, given as `{PORT}`) is the relay, which passes
 *   datagrams on to the peer's port (argv[2]) and back, and reports `ttl N` for each datagram
 *   from sockcat (IP_RECVTTL).
 * - `tcp`: the same for a connection. Its socket to sockcat takes only packets with a TTL of at
 *   least 128 (IP_MINTTL, set once accepted: sockcat sets its TTL on the connected socket), so
 *   that sockcat's data and acknowledgements get through only then; otherwise the relay's own
 *   data, or a keepalive probe after 1 s idle, goes unacknowledged and the socket times out
 *   after 1 s (TCP_USER_TIMEOUT): `dropped`. A connection that ends well: `passed`.
 * - `listen`: the driver's client connects to the relay, which connects on to sockcat (whose
 *   `listening` event on stderr is passed on with the relay's port) from a socket with the same
 *   filter, set before connecting: a SYN-ACK below it is dropped and the connect times out.
 * After `dropped`, the CLI is sent SIGTERM (its peer is gone). stdio is the caller's (stderr
 * through the relay for `listen`); the CLI dies with the wrapper (PR_SET_PDEATHSIG), SIGTERM is
 * passed on, and the wrapper ends as the CLI did.
 */
const TTL_RELAY = `
import ctypes, errno, json, os, select, signal, socket, struct, subprocess, sys, threading
os.set_inheritable(3, False)
report = os.fdopen(3, 'w', buffering=1)
lock = threading.Lock()
def say(line):
    with lock:
        if not report.closed:
            report.write(line + '\\n')
kind = sys.argv[1]
IP_MINTTL, IP_RECVTTL, IP_TTL, TCP_USER_TIMEOUT = 21, 12, 2, 18
def strict(s):
    s.setsockopt(socket.IPPROTO_IP, IP_MINTTL, 128)
    s.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 1000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option in (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT):
        s.setsockopt(socket.IPPROTO_TCP, option, 1)
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == 'udp' else socket.SOCK_STREAM)
if kind == 'udp':
    front.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
front.bind(('127.0.0.1', 0))
if kind != 'udp':
    front.listen(16)
port = front.getsockname()[1]
peer = None if kind == 'listen' else ('127.0.0.1', int(sys.argv[2]))
sockcat = []
listening = threading.Event()
def reset(*sockets):
    # SHUT_RD wakes a recv blocked in the other pump's thread (a close would not), so that the
    # socket is released and the linger of 0 sends a reset.
    for s in sockets:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            s.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        s.close()
def dropped(what=None):
    if what is not None:
        say('dropped %s' % what)
    child.send_signal(signal.SIGTERM)
def pump(src, dst, errors, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError as error:
        # (Said before the reset, which may end the CLI and this wrapper with it.)
        if error.errno == errno.ETIMEDOUT:
            say('dropped ETIMEDOUT')
        errors.append(error.errno)
        reset(src, dst)
    done.release()
def relay(conn):
    up = socket.socket()
    if kind == 'tcp':
        strict(conn)
        target, near = peer, conn
    else:
        listening.wait()
        strict(up)
        target, near = sockcat[0], up
    try:
        up.connect(target)
    except OSError as error:
        reset(conn)
        return dropped(errno.errorcode.get(error.errno, error.errno)) if near is up else None
    errors, done = [], threading.Semaphore(0)
    for a, b in ((conn, up), (up, conn)):
        threading.Thread(target=pump, args=(a, b, errors, done), daemon=True).start()
    done.acquire()
    done.acquire()
    if errno.ETIMEDOUT in errors:
        return dropped()
    say('passed')
    conn.close()
    up.close()
relays = []
def serve_tcp():
    while True:
        conn = front.accept()[0]
        thread = threading.Thread(target=relay, args=(conn,), daemon=True)
        with lock:
            relays.append(thread)
        thread.start()
def serve_udp():
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.connect(peer)
    client = None
    while True:
        for s in select.select([front, up], [], [])[0]:
            try:
                if s is front:
                    data, ancillary, _, client = front.recvmsg(65536, socket.CMSG_SPACE(4))
                    for level, type_, value in ancillary:
                        if level == socket.IPPROTO_IP and type_ == IP_TTL:
                            say('ttl %d' % struct.unpack('i', value[:4])[0])
                    up.send(data)
                elif client is not None:
                    front.sendto(up.recv(65536), client)
            except ConnectionRefusedError:
                pass
def pass_stderr():
    for line in child.stderr:
        if not listening.is_set() and line.startswith(b'{') and b'"event":"listening"' in line:
            event = json.loads(line)
            local = event['local']
            sockcat.append((local['address'], local['port']))
            event['local'] = {**local, 'address': '127.0.0.1', 'port': port}
            line = json.dumps(event, separators=(',', ':')).encode() + b'\\n'
            listening.set()
        sys.stderr.buffer.write(line)
        sys.stderr.flush()
argv = [word.replace('{PORT}', str(port)) for word in sys.argv[3:]]
libc = ctypes.CDLL(None)
child = subprocess.Popen(
    argv,
    stderr=subprocess.PIPE if kind == 'listen' else None,
    preexec_fn=lambda: libc.prctl(1, signal.SIGKILL),
)
signal.signal(signal.SIGTERM, lambda s, f: child.send_signal(s))
threading.Thread(target=serve_udp if kind == 'udp' else serve_tcp, daemon=True).start()
if kind == 'listen':
    passer = threading.Thread(target=pass_stderr)
    passer.start()
code = child.wait()
if kind == 'listen':
    passer.join()
# A CLI that exited has left its last packets to the kernel: each relay ends with what it saw.
with lock:
    waiting = list(relays)
for thread in waiting:
    thread.join()
with lock:
    report.close()
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
os._exit(code)
`;

type RelayKind = 'udp' | 'tcp' | 'listen';

/** What a TCP relay saw of a run without --ttl, once per kind (see the ttl observer). */
const filterBaselines = new Map<RelayKind, Promise<string[]>>();

/** A spawner for spawnWith that runs the CLI through TTL_RELAY, and what its runs reported. */
function ttlRelay(python: string, kind: RelayKind) {
  const reports: Promise<string>[] = [];
  const spawnThrough = (argv: readonly string[], options: SpawnOptions): ChildProcess => {
    let words = [...argv];
    let port = '0';
    if (kind !== 'listen') {
      // The target, last: a port, or a ws:// URL with one.
      const target = words.pop()!;
      const url = /^(wss?:\/\/[^/]+:)(\d+)(\/.*)?$/.exec(target);
      port = url ? url[2]! : target;
      words = [...words, url ? `${url[1]}{PORT}${url[3] ?? ''}` : '{PORT}'];
    }
    const child = spawn(python, ['-c', TTL_RELAY, kind, port, process.execPath, BIN, ...words], {
      ...options,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    // (Read from the start: a pipe nobody reads would hold the child's 'close'.)
    reports.push(readAll(child.stdio[3] as Readable));
    return child;
  };
  const lines = async () => (await Promise.all(reports)).join('').split('\n').filter(Boolean);
  return { spawn: spawnThrough, lines };
}

function relayKind(layers: Layers): RelayKind {
  if (layers.transport === 'udp') return 'udp';
  return layers.role === 'listen' ? 'listen' : 'tcp';
}

/**
 * The drivers --progress and --ttl run under their wrappers, as seen to work with them (a driver
 * added later is tried before it joins: its exchange may need more than these wrappers pass on).
 */
const PROGRESS_DRIVERS = [
  'tcp connect',
  'tcp listen',
  'tcp listen -k',
  'broker',
  'chat',
  'unix connect',
  'unix listen',
  'seqpacket listen',
  'ws connect',
  'ws listen',
  'ws listen -k',
  'tcp forward -k',
  'udp forward',
];
const TTL_DRIVERS = [
  'tcp connect',
  'tcp connect, exec',
  'tcp listen',
  'tcp listen -k',
  'tcp listen, exec',
  'tcp listen, exec --js-exec',
  'tcp listen, exec --lua-exec',
  'broker',
  'chat',
  'http proxy server',
  'udp connect',
  'dtls connect',
  'ws connect',
  'ws listen',
  'ws listen -k',
  'tcp forward -k',
];

export const TERM_OBSERVERS: Readonly<Record<string, Observer>> = {
  progress: {
    only: PROGRESS_DRIVERS,
    async observe({ t, run, driver }) {
      const python = requirePeer(t, 'python3');
      if (python === undefined) return;
      const onTerminal = (argv: readonly string[]) =>
        spawnWith.run(stderrOnTerminal(python), () => run(argv));
      const [withIt, without] = await Promise.all([onTerminal(['--progress']), onTerminal([])]);
      assertDelivered(withIt, driver, '--progress');
      const meter = finalMeter(withIt.stderr);
      assert.ok(meter, `the meter's last line on the terminal: ${JSON.stringify(withIt.stderr)}`);
      const counted = totals(withIt);
      assert.deepEqual(meter, { sent: shown(counted.sent), received: shown(counted.received) });
      // The same terminal without --progress: no meter.
      assertDelivered(without, driver, 'stderr on a terminal without --progress');
      assert.doesNotMatch(without.stderr, /(^|\r)sent \d/m, without.stderr);
    },
  },
  raw: {
    only: TERMINAL_DRIVERS,
    async observe({ t, mode }) {
      const python = requirePeer(t, 'python3');
      if (python === undefined) return;
      const withIt = await terminalRun(t, python, ['--raw'], mode, true);
      // Ctrl-C went to the peer as a byte, sockcat ran on until Enter ~ . (taken out).
      assert.equal(withIt.received.toString('latin1'), 'x\x03\r', withIt.stderr);
      assert.equal(withIt.code, 0, withIt.stderr);
      assert.match(withIt.stderr, /ended by ~\./);
      assert.doesNotMatch(withIt.shown, /\^C/, 'no echo while raw');
      assert.ok(withIt.before !== '' && withIt.after === withIt.before, 'the terminal restored');
      // The same terminal without --raw: the line is held, Ctrl-C (echoed) interrupts sockcat.
      const without = await terminalRun(t, python, [], mode, false);
      assert.ok(without.code === 130 || without.signal === 'SIGINT', without.stderr);
      assert.equal(without.received.length, 0);
      assert.match(without.shown, /\^C/);
    },
  },
  ttl: {
    only: TTL_DRIVERS,
    async observe({ t, run, driver, argv, mode }) {
      const python = requirePeer(t, 'python3');
      if (python === undefined) return;
      const ttl = Number(argv[1]);
      const kind = relayKind(layersOfCell(argv, mode));
      const relayed = async (option: readonly string[]) => {
        const relay = ttlRelay(python, kind);
        const result = await spawnWith.run(relay.spawn, () => run(option));
        return { result, seen: await relay.lines() };
      };
      if (kind === 'udp') {
        const [withIt, without] = await Promise.all([relayed(argv), relayed([])]);
        assertDelivered(withIt.result, driver, '--ttl');
        // Every datagram with the TTL asked for; without it, the system's default (64).
        assert.ok(withIt.seen.length > 0, withIt.result.stderr);
        assert.deepEqual(new Set(withIt.seen), new Set([`ttl ${ttl}`]));
        assert.ok(
          without.seen.length > 0 && !without.seen.includes(`ttl ${ttl}`),
          `${without.seen}`,
        );
        return;
      }
      // Every packet at least 128: the option's 200 passes the relay's filter. That the default
      // (the kernel's 64, whatever the mode) does not is the filter's doing, shown once per kind
      // of relay (it waits for the relay's timeout; side by side with the run with the option).
      let without = filterBaselines.get(kind);
      if (without === undefined) {
        without = relayed([]).then(({ seen }) => seen);
        filterBaselines.set(kind, without);
      }
      const [withIt, seenWithout] = await Promise.all([relayed(argv), without]);
      assert.ok(!withIt.seen.some((line) => line.startsWith('dropped')), `${withIt.seen}`);
      assertDelivered(withIt.result, driver, '--ttl');
      assert.ok(withIt.seen.includes('passed'), `${withIt.seen}: ${withIt.result.stderr}`);
      assert.ok(
        seenWithout.some((line) => line.startsWith('dropped')),
        `without --ttl: ${seenWithout}`,
      );
    },
  },
  'no-shutdown': {
    only: FIN_DRIVERS,
    async observe({ t, mode }) {
      // (Side by side: the run with the option waits for -q's delay.)
      const [withIt, without] = await Promise.all([
        finRun(t, ['--no-shutdown'], mode),
        finRun(t, [], mode),
      ]);
      okRun(withIt, '--no-shutdown');
      assert.match(withIt.received.toString(), /from-stdin/);
      assert.match(withIt.stdout.toString(), /from-peer/);
      assert.equal(closedReason(withIt), 'quit-after-eof', withIt.stderr);
      okRun(without, 'without --no-shutdown');
      assert.equal(closedReason(without), 'peer-eof', without.stderr);
    },
  },
};
