// One test per row of docs/eof.md: the built CLI against a scripted peer on loopback.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { sha256Stream } from '../helpers/hash.js';

async function fileDigest(path: string): Promise<string> {
  const { sha256, bytes } = await sha256Stream(createReadStream(path));
  return `${bytes} bytes, sha256 ${sha256}`;
}

interface Peer {
  socket: Socket;
  /** Everything received from sockcat, resolved at the peer's EOF. */
  data: Promise<Buffer>;
  /** Resolves when sockcat's FIN arrives. */
  eof: Promise<void>;
}

function watch(socket: Socket): Peer {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const eof = once(socket, 'end').then(() => {});
  const data = eof.then(() => Buffer.concat(chunks));
  // Tests that provoke a reset do not await these.
  eof.catch(() => {});
  data.catch(() => {});
  return { socket, eof, data };
}

/** A server peer on port 0 and a sockcat client connected to it. */
async function connectMode(
  args: string[],
  path: DataPath,
): Promise<{ peer: Peer; child: ChildProcess; server: Server }> {
  const server = createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const child = spawnCli(['-v', ...args, '127.0.0.1', String(port)], { env: path.env });
  const [socket] = (await accepted) as [Socket];
  server.close();
  // The kernel completes the handshake before sockcat hears of it: wait until it has.
  await waitForLine(child.stderr!, /Connected to/);
  await expectPath(child, path);
  return { peer: watch(socket), child, server };
}

/** A sockcat listener on port 0 and a client peer connected to it. */
async function listenMode(
  args: string[],
  path: DataPath,
): Promise<{ peer: Peer; child: ChildProcess }> {
  const child = spawnCli(['-lv', ...args, '127.0.0.1', '0'], { env: path.env });
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const socket = new Socket({ allowHalfOpen: true });
  socket.connect(Number(match[1]), '127.0.0.1');
  await once(socket, 'connect');
  await waitForLine(child.stderr!, /Connection from/);
  await expectPath(child, path);
  return { peer: watch(socket), child };
}

type Mode = 'connect' | 'listen';
const MODES: Mode[] = ['connect', 'listen'];

/**
 * Every row runs on both data paths: the addon's (native/src/copy.c, the default when it is
 * built) and JavaScript's (SOCKCAT_NO_NATIVE=1); `-v` names the one taken.
 */
interface DataPath {
  name: 'native' | 'js';
  env: NodeJS.ProcessEnv;
  line: RegExp;
}
const PATHS: DataPath[] = [
  { name: 'native', env: { ...process.env }, line: /Data path: native: / },
  {
    name: 'js',
    env: { ...process.env, SOCKCAT_NO_NATIVE: '1' },
    line: /Data path: JavaScript \(SOCKCAT_NO_NATIVE=1\)\./,
  },
];

/** Once stdout has ended (the peer's FIN), stdin written then still reaches the peer. */
async function stillSendsAfterStdoutEnd(
  child: ChildProcess,
  peer: Peer,
  stdoutEnded: Promise<unknown>,
): Promise<void> {
  await stdoutEnded;
  child.stdin!.write('late ');
  child.stdin!.end('words');
  assert.equal((await peer.data).toString(), 'late words');
}

async function start(mode: Mode, args: string[], path: DataPath) {
  return mode === 'connect' ? connectMode(args, path) : listenMode(args, path);
}

async function expectPath(child: ChildProcess, path: DataPath): Promise<void> {
  const [line] = await waitForLine(child.stderr!, /Data path: .*/);
  assert.match(line, path.line);
}

for (const path of PATHS) {
  for (const mode of MODES) {
    test(`[${path.name}] ${mode}: stdin EOF sends FIN, what arrives later is still printed, exit 0 at the peer's close`, async (t) => {
      const { peer, child } = await start(mode, [], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdin!.end('abc');
      assert.equal((await peer.data).toString(), 'abc');
      peer.socket.end('after-eof\n');
      const { code, stdout } = await result;
      assert.equal(code, 0);
      assert.equal(stdout.toString(), 'after-eof\n');
    });

    test(`[${path.name}] ${mode}: the peer closes while piped stdin is open`, async (t) => {
      const { peer, child } = await start(mode, [], path);
      t.after(() => stop(child));
      const result = finished(child);
      const stdoutEnded = once(child.stdout!, 'end');
      const big = Buffer.alloc(2 * 1024 * 1024, 'x');
      peer.socket.end(big);
      if (mode === 'listen') {
        // Listen mode: stdout is closed once it has everything (its reader sees EOF), and the rest
        // of stdin still reaches the client; exit at stdin EOF.
        await stillSendsAfterStdoutEnd(child, peer, stdoutEnded);
      }
      // Connect mode (ncat 7.96): exit once stdout has everything, stdin left unread and open.
      const { code, stdout } = await result;
      assert.equal(code, 0);
      assert.equal(stdout.length, big.length);
      if (mode === 'connect') assert.equal((await peer.data).length, 0);
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: the peer resets: one line on stderr, exit 1`, async (t) => {
      const { peer, child } = await start(mode, [], path);
      t.after(() => stop(child));
      const result = finished(child);
      peer.socket.resetAndDestroy();
      const { code, stderr } = await result;
      assert.equal(code, 1);
      assert.match(
        stderr,
        /^sockcat: connection to 127\.0\.0\.1:\d+ reset: Connection reset by peer$/m,
      );
      assert.doesNotMatch(stderr, /\n\s+at /);
    });

    test(`[${path.name}] ${mode}: --no-shutdown keeps the sending side open at stdin EOF`, async (t) => {
      const { peer, child } = await start(mode, ['--no-shutdown'], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdin!.end('abc');
      const first = await once(peer.socket, 'data');
      assert.equal(String(first[0]), 'abc');
      // Still open for writing: the peer can close whenever it likes, and has seen no EOF.
      let sawEof = false;
      peer.eof.then(() => {
        sawEof = true;
      });
      peer.socket.end('bye');
      const { code, stdout } = await result;
      assert.equal(code, 0);
      assert.equal(stdout.toString(), 'bye');
      assert.equal(sawEof || peer.socket.readableEnded, true, 'FIN only when sockcat exits');
    });

    test(`[${path.name}] ${mode}: --send-only quits at stdin EOF and ignores what the peer sends`, async (t) => {
      const { peer, child } = await start(mode, ['--send-only'], path);
      t.after(() => stop(child));
      const result = finished(child);
      peer.socket.write('ignored\n');
      child.stdin!.end('abc');
      assert.equal((await peer.data).toString(), 'abc');
      const { code, stdout } = await result;
      assert.equal(code, 0);
      assert.equal(stdout.length, 0);
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: --recv-only does not read stdin and ends at the peer's close`, async (t) => {
      const { peer, child } = await start(mode, ['--recv-only'], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdin!.write('never sent');
      peer.socket.end('hello\n');
      const { code, stdout } = await result;
      assert.equal(code, 0);
      assert.equal(stdout.toString(), 'hello\n');
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: -q 0 quits as soon as stdin ends, after sending FIN`, async (t) => {
      const { peer, child } = await start(mode, ['-q', '0'], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdin!.end('abc');
      const { code } = await result;
      assert.equal(code, 0);
      assert.equal((await peer.data).toString(), 'abc');
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: -q with a delay quits that long after stdin EOF when the peer stays open`, async (t) => {
      const { peer, child } = await start(mode, ['-q', '50ms'], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdin!.end('abc');
      await peer.eof;
      const { code } = await result;
      assert.equal(code, 0);
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: -i ends an idle session with exit 1`, async (t) => {
      const { peer, child } = await start(mode, ['-i', '100ms'], path);
      t.after(() => stop(child));
      const { code, stderr } = await finished(child);
      assert.equal(code, 1);
      assert.match(stderr, /^sockcat: idle timeout expired \(100 ms\)$/m);
      peer.socket.destroy();
    });

    test(`[${path.name}] ${mode}: stdout closed early ends quietly with exit 0`, async (t) => {
      const { peer, child } = await start(mode, [], path);
      t.after(() => stop(child));
      const result = finished(child);
      child.stdout!.destroy();
      // Keep sending until sockcat notices the broken pipe and goes away.
      const chunk = Buffer.alloc(64 * 1024, 'y');
      const flood = () => {
        if (!peer.socket.destroyed && peer.socket.write(chunk)) setImmediate(flood);
      };
      peer.socket.on('drain', flood);
      peer.socket.on('error', () => {});
      flood();
      const { code, stderr } = await result;
      assert.equal(code, 0);
      assert.doesNotMatch(stderr, /error|EPIPE/i);
      peer.socket.destroy();
    });
  }

  test(`[${path.name}] connect -k: the peer closes: stdout is closed, stdin is still sent to its end`, async (t) => {
    const { peer, child } = await start('connect', ['-k'], path);
    t.after(() => stop(child));
    const result = finished(child);
    const stdoutEnded = once(child.stdout!, 'end');
    peer.socket.end('bye\n');
    await stillSendsAfterStdoutEnd(child, peer, stdoutEnded);
    const { code, stdout } = await result;
    assert.equal(code, 0);
    assert.equal(stdout.toString(), 'bye\n');
    peer.socket.destroy();
  });

  test(`[${path.name}] listen: 64 MiB each way with a connect -k client: both sides get everything, whoever ends first`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sockcat-eof-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const size = 64 * 1024 * 1024;
    const toClient = join(dir, 'to-client');
    const toServer = join(dir, 'to-server');
    // Different content each way. Without -k the client would exit at the listener's FIN if the
    // listener's stdin ended first (ncat 7.96), dropping the rest of its own stdin.
    writeFileSync(toClient, randomFillSync(Buffer.alloc(size)));
    writeFileSync(toServer, randomFillSync(Buffer.alloc(size)));
    const serverIn = openSync(toClient, 'r');
    const serverOut = openSync(join(dir, 'server-got'), 'w');
    const server = spawnCli(['-lv', '127.0.0.1', '0'], {
      stdio: [serverIn, serverOut, 'pipe'],
      env: path.env,
    });
    t.after(() => stop(server));
    closeSync(serverIn);
    closeSync(serverOut);
    const serverDone = finished(server);
    const [, port] = await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const clientIn = openSync(toServer, 'r');
    const clientOut = openSync(join(dir, 'client-got'), 'w');
    const client = spawnCli(['-k', '127.0.0.1', port!], {
      stdio: [clientIn, clientOut, 'pipe'],
      env: path.env,
    });
    t.after(() => stop(client));
    closeSync(clientIn);
    closeSync(clientOut);
    const [serverResult, clientResult] = await Promise.all([serverDone, finished(client)]);
    assert.equal(serverResult.code, 0, serverResult.stderr);
    assert.equal(clientResult.code, 0, clientResult.stderr);
    assert.equal(await fileDigest(join(dir, 'server-got')), await fileDigest(toServer));
    assert.equal(await fileDigest(join(dir, 'client-got')), await fileDigest(toClient));
  });

  test(`[${path.name}] listen: the listening socket closes after the first client is accepted`, async (t) => {
    const child = spawnCli(['-lv', '127.0.0.1', '0'], { env: path.env });
    t.after(() => stop(child));
    const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const port = Number(match[1]);
    const first = new Socket();
    first.connect(port, '127.0.0.1');
    await once(first, 'connect');
    await waitForLine(child.stderr!, /Connection from/);
    const second = new Socket();
    second.connect(port, '127.0.0.1');
    const [error] = (await once(second, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
    first.destroy();
  });

  test(`[${path.name}] listen: stdin that ended before any client is sent to the first client, then FIN`, async (t) => {
    const child = spawnCli(['-lv', '127.0.0.1', '0'], { env: path.env });
    t.after(() => stop(child));
    child.stdin!.end('early');
    const result = finished(child);
    const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const socket = new Socket({ allowHalfOpen: true });
    socket.connect(Number(match[1]), '127.0.0.1');
    const peer = watch(socket);
    assert.equal((await peer.data).toString(), 'early');
    socket.end();
    assert.equal((await result).code, 0);
  });
}
