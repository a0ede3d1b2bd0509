// 64 MiB of random bytes cross between sockcat and each real peer, in both roles (sockcat listens
// or connects) and both directions (sockcat sends or receives), and arrive with the same SHA-256.
//
// The sender's stdin carries the payload then EOF: it shuts down its sending side (FIN) and waits.
// The receiver's stdin stays open, and every receiver is told not to read it (sockcat and ncat:
// --recv-only, nc.openbsd: -d): after the peer's FIN, sockcat (docs/eof.md row 2) and ncat's
// connect mode go on sending piped stdin until it ends, so a receiver reading an open pipe would
// wait for it. The receiver ends because the peer closed, prints everything and exits 0; the sender
// then sees the close and exits 0 too.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { describe, type TestContext, test } from 'node:test';
import { feedStdin, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { sha256, sha256Stream } from '../helpers/hash.js';
import {
  captureStderr,
  type ListeningPeerOptions,
  startListeningPeer,
} from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';

const SIZE = 64 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';

// A netcat in a few lines: stdin to the socket then SHUT_WR; the socket to stdout until EOF, then
// exit. Raw os.read/os._exit: a daemon thread blocked in buffered stdin would abort the shutdown.
const PYTHON_NETCAT = `
import os, socket, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])
if mode == 'listen':
    server = socket.create_server(('127.0.0.1', port))
    print(f'listening on {server.getsockname()[1]}', file=sys.stderr, flush=True)
    sock, _ = server.accept()
    server.close()
else:
    sock = socket.create_connection(('127.0.0.1', port))
def send():
    while chunk := os.read(0, 65536):
        sock.sendall(chunk)
    sock.shutdown(socket.SHUT_WR)
threading.Thread(target=send, daemon=True).start()
while chunk := sock.recv(65536):
    sys.stdout.buffer.write(chunk)
sys.stdout.buffer.flush()
sock.close()
os._exit(0)
`;

/** How to run a peer program as either end of a TCP connection, with stdin/stdout as the data. */
interface PeerProgram {
  command: string;
  /** Flags for the peer's part: sending its stdin, or only receiving. */
  flags: Record<'sending' | 'receiving', string[]>;
  connect(port: number): string[];
  listen: Omit<ListeningPeerOptions, 'command'>;
}

const PEERS: PeerProgram[] = [
  {
    command: 'ncat',
    flags: { sending: [], receiving: ['--recv-only'] },
    connect: (port) => [LOOPBACK, String(port)],
    // ncat 7.93 prints the port it was given (0), not the one it got.
    listen: {
      args: ['-v', '-l', LOOPBACK, '0'],
      ready: /Listening on 127\.0\.0\.1:0/,
      reportsPort: false,
    },
  },
  {
    command: 'nc.openbsd',
    // -N: shut the socket down on stdin EOF (it does not otherwise); -d: do not read stdin.
    flags: { sending: ['-N'], receiving: ['-d'] },
    connect: (port) => [LOOPBACK, String(port)],
    listen: {
      args: ['-v', '-l', LOOPBACK, '0'],
      ready: /Listening on \S+ (\d+)/,
      reportsPort: true,
    },
  },
  {
    command: 'socat',
    flags: { sending: [], receiving: [] },
    connect: (port) => ['STDIO', `TCP:${LOOPBACK}:${port}`],
    listen: {
      args: ['-d', '-d', `TCP-LISTEN:0,bind=${LOOPBACK}`, 'STDIO'],
      ready: /listening on AF=2 127\.0\.0\.1:(\d+)/,
      reportsPort: true,
    },
  },
  {
    command: 'python3',
    flags: { sending: [], receiving: [] },
    connect: (port) => ['-c', PYTHON_NETCAT, 'connect', String(port)],
    listen: {
      args: ['-c', PYTHON_NETCAT, 'listen', '0'],
      ready: /listening on (\d+)/,
      reportsPort: true,
    },
  },
];

type Role = 'listens' | 'connects';
type Direction = 'sends' | 'receives';

interface Session {
  sockcat: ChildProcess;
  peer: ChildProcess;
  /** stderr of both, for assertion messages. */
  logs: () => string;
}

/** Start sockcat and the peer connected to each other, sockcat in `role`. */
async function startSession(
  t: TestContext,
  program: PeerProgram,
  path: string,
  role: Role,
  direction: Direction,
): Promise<Session> {
  // The peer's part is the opposite of sockcat's.
  const flags = program.flags[direction === 'sends' ? 'receiving' : 'sending'];
  const own = direction === 'receives' ? ['--recv-only'] : [];
  if (role === 'listens') {
    const sockcat = spawnCli(['-lv', ...own, LOOPBACK, '0']);
    t.after(() => stop(sockcat));
    const sockcatLog = captureStderr(sockcat);
    const [, port] = await waitForLine(sockcat.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const peer = spawn(path, [...flags, ...program.connect(Number(port))], { stdio: 'pipe' });
    t.after(() => stop(peer));
    const peerLog = captureStderr(peer);
    return { sockcat, peer, logs: () => describeLogs(program, sockcatLog(), peerLog()) };
  }
  const listening = await startListeningPeer(t, {
    ...program.listen,
    command: path,
    args: [...flags, ...program.listen.args],
  });
  const sockcat = spawnCli(['-v', ...own, LOOPBACK, String(listening.port)]);
  t.after(() => stop(sockcat));
  const sockcatLog = captureStderr(sockcat);
  return {
    sockcat,
    peer: listening.child,
    logs: () => describeLogs(program, sockcatLog(), listening.stderr()),
  };
}

function describeLogs(program: PeerProgram, sockcat: string, peer: string): string {
  return `--- sockcat stderr\n${sockcat}--- ${program.command} stderr\n${peer}`;
}

// One random payload for every test: a Buffer, hashed once.
const payload = randomFillSync(Buffer.allocUnsafe(SIZE));
const payloadSha256 = sha256(payload);

for (const program of PEERS) {
  describe(`64 MiB binary transfer with ${program.command}`, () => {
    for (const role of ['listens', 'connects'] as const) {
      for (const direction of ['sends', 'receives'] as const) {
        test(`sockcat ${role} and ${direction}`, { timeout: 60_000 }, async (t) => {
          const path = requirePeer(t, program.command);
          if (path === undefined) return;
          const { sockcat, peer, logs } = await startSession(t, program, path, role, direction);
          const [sender, receiver] = direction === 'sends' ? [sockcat, peer] : [peer, sockcat];

          let receivedBytes = 0;
          const received = sha256Stream(receiver.stdout!, (chunk) => {
            receivedBytes += chunk.length;
          });
          const echoed = sha256Stream(sender.stdout!);
          let settled = false;
          const exits = Promise.all([once(sockcat, 'close'), once(peer, 'close')]).finally(() => {
            settled = true;
          });
          // Should the safety-net timeout fire, say where the transfer stood.
          t.signal.addEventListener('abort', () => {
            if (settled) return;
            console.error(`stuck after ${receivedBytes} of ${SIZE} bytes received\n${logs()}`);
          });
          feedStdin(sender, payload);

          const [[sockcatCode], [peerCode]] = await exits;
          assert.deepEqual(await received, { sha256: payloadSha256, bytes: SIZE }, logs());
          assert.equal((await echoed).bytes, 0, 'the receiver sent nothing back');
          assert.equal(sockcatCode, 0, `sockcat exit status\n${logs()}`);
          assert.equal(peerCode, 0, `${program.command} exit status\n${logs()}`);
        });
      }
    }
  });
}
