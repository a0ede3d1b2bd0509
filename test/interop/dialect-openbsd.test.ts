// nc.openbsd (Debian's netcat-openbsd), `sockcat --dialect openbsd` and sockcat run through a
// symlink named `nc` do the same scenarios: what the peer received, stdout and the exit status
// must agree. Messages that scripts read (-v "succeeded!" lines) are compared without the prefix.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { loadNative } from '../../src/native/load.js';
import { feedStdin, finished, stop, waitForLine } from '../helpers/child.js';
import { listeningPortOf } from '../helpers/listening-peer.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';
import { refusedPort } from '../helpers/ports.js';

interface Tool {
  name: string;
  command: string;
  prefix: string[];
}

function tools(t: TestContext): Tool[] | undefined {
  const openbsd = requirePeer(t, 'nc.openbsd');
  if (openbsd === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-nc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const link = join(dir, 'nc');
  symlinkSync(BIN, link);
  return [
    { name: 'nc.openbsd', command: openbsd, prefix: [] },
    {
      name: 'sockcat --dialect openbsd',
      command: process.execPath,
      prefix: [BIN, '--dialect', 'openbsd'],
    },
    { name: 'nc -> sockcat', command: process.execPath, prefix: [link] },
  ];
}

function spawnTool(t: TestContext, tool: Tool, args: string[]): ChildProcess {
  const child = spawn(tool.command, [...tool.prefix, ...args], { stdio: 'pipe' });
  t.after(() => stop(child));
  return child;
}

/** A loopback server on port 0 running `handle` for each client; closed when the test ends. */
async function peer(t: TestContext, handle: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

/** Collect a socket's bytes; resolves at its EOF with what came. */
function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return once(socket, 'end').then(() => Buffer.concat(chunks).toString());
}

test('-N: FIN at stdin EOF, so a peer that answers at EOF answers', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    let received: Promise<string> | undefined;
    const port = await peer(t, (socket) => {
      received = readAll(socket);
      received.then((data) => socket.end(`echo:${data}`));
    });
    const child = spawnTool(t, tool, ['-N', '127.0.0.1', String(port)]);
    const done = finished(child);
    feedStdin(child, 'hello\n');
    const result = await done;
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(result.stdout.toString(), 'echo:hello\n', tool.name);
    assert.equal(await received, 'hello\n', tool.name);
  }
});

test('no FIN: without -N, at stdin EOF or with -d', async (t) => {
  const all = tools(t);
  if (!all) return;
  const variants: string[][] = [[], ['-d']];
  for (const extra of variants) {
    for (const tool of all as Tool[]) {
      const name: string = `${tool.name} ${extra.join(' ')}`;
      const expected = extra.includes('-d') ? '' : 'hello\n';
      let sawEof = false;
      let child: ChildProcess | undefined;
      let outcome: Promise<Awaited<ReturnType<typeof finished>>> | undefined;
      const ready = new Promise<Socket>((resolve) => {
        void peer(t, (socket) => {
          let data = '';
          if (data === expected) resolve(socket);
          socket.on('data', (chunk: Buffer) => {
            data += chunk.toString();
            if (data === expected) resolve(socket);
          });
          socket.on('end', () => {
            sawEof = true;
          });
        }).then((port) => {
          child = spawnTool(t, tool, [...extra, '127.0.0.1', String(port)]);
          outcome = finished(child);
          feedStdin(child, 'hello\n');
        });
      });
      const socket = await ready;
      // A round trip after the data: stdin's EOF, read with the data, was handled long before.
      socket.write('ping\n');
      await waitForLine(child!.stdout!, /ping\n/);
      assert.equal(sawEof, false, `${name} sent FIN`);
      socket.end('bye\n');
      const result = await outcome!;
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.equal(result.stdout.toString(), 'ping\nbye\n', name);
    }
  }
});

test('-q 0: FIN and exit at stdin EOF, the peer staying open', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    let received: Promise<string> | undefined;
    const port = await peer(t, (socket) => {
      received = readAll(socket);
      // Measured: nc.openbsd 1.219 starts -q's timer only when the peer has closed (nc(1) says at
      // stdin EOF, which sockcat does; docs/cli.md); so its peer closes at EOF, sockcat's stays.
      if (tool.command !== process.execPath) received.then(() => socket.end());
    });
    const child = spawnTool(t, tool, ['-q', '0', '127.0.0.1', String(port)]);
    const done = finished(child);
    feedStdin(child, 'bye\n');
    const result = await done;
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(await received, 'bye\n', tool.name);
  }
});

test('-d: stdin is not read; the greeting is printed and the session ends with the peer', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    let received: Promise<string> | undefined;
    const port = await peer(t, (socket) => {
      received = readAll(socket);
      socket.end('greeting\n');
    });
    const child = spawnTool(t, tool, ['-d', '127.0.0.1', String(port)]);
    const done = finished(child);
    child.stdin?.on('error', () => {});
    child.stdin?.write('never sent\n');
    const result = await done;
    child.stdin?.end();
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(result.stdout.toString(), 'greeting\n', tool.name);
    assert.equal(await received, '', tool.name);
  }
});

test('-zv: nc\'s "succeeded!" line per open port, exit 0 when any is open, 1 when none', async (t) => {
  const all = tools(t);
  if (!all) return;
  const open = await peer(t, (socket) => socket.resume().on('end', () => socket.end()));
  const closed = await refusedPort();
  for (const tool of all) {
    const some = await finished(
      spawnTool(t, tool, ['-zvn', '127.0.0.1', String(closed), String(open)]),
    );
    assert.equal(some.code, 0, `${tool.name}: ${some.stderr}`);
    assert.equal(some.stdout.toString(), '', tool.name);
    const lines = some.stderr.trim().split('\n');
    assert.equal(lines.length, 2, `${tool.name}: ${some.stderr}`);
    assert.match(
      lines[0]!,
      new RegExp(
        `^[\\w.]+: connect to 127\\.0\\.0\\.1 port ${closed} \\(tcp\\) failed: Connection refused$`,
      ),
    );
    assert.equal(lines[1], `Connection to 127.0.0.1 ${open} port [tcp/*] succeeded!`, tool.name);
    const none = await finished(spawnTool(t, tool, ['-z', '127.0.0.1', String(closed)]));
    assert.equal(none.code, 1, tool.name);
    assert.equal(none.stderr, '', `${tool.name}: without -v a refused port is silent`);
  }
});

test("connect refused: exit 1, silent without -v, nc's message with -v", async (t) => {
  const all = tools(t);
  if (!all) return;
  const closed = await refusedPort();
  for (const tool of all) {
    const quiet = await finished(spawnTool(t, tool, ['127.0.0.1', String(closed)]));
    assert.equal(quiet.code, 1, tool.name);
    assert.equal(quiet.stderr, '', tool.name);
    const loud = await finished(spawnTool(t, tool, ['-v', '127.0.0.1', String(closed)]));
    assert.equal(loud.code, 1, tool.name);
    assert.match(
      loud.stderr,
      new RegExp(
        `^[\\w.]+: connect to 127\\.0\\.0\\.1 port ${closed} \\(tcp\\) failed: Connection refused\\n$`,
      ),
    );
  }
});

test('-l -k: one client at a time; the next is served once the current one ends', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    const child = spawnTool(t, tool, ['-lkv', '127.0.0.1', '0']);
    child.stdin?.end();
    await waitForLine(child.stderr!, /Listening on/);
    const port = await listeningPortOf(child.pid!);
    const first = connect(port, '127.0.0.1');
    first.write('A1');
    await waitForLine(child.stdout!, /A1/);
    const second = connect(port, '127.0.0.1');
    await once(second, 'connect');
    second.write('B1');
    first.end('A2');
    await waitForLine(child.stdout!, /A1A2B1/);
    second.end('B2');
    await waitForLine(child.stdout!, /A1A2B1B2/);
    const third = connect(port, '127.0.0.1');
    third.end('C1');
    await waitForLine(child.stdout!, /A1A2B1B2C1/);
    for (const socket of [first, second, third]) socket.destroy();
    await stop(child);
  }
});

test('-l: the listener prints what the client sent and exits when it closes', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    const child = spawnTool(t, tool, ['-lvn', '127.0.0.1', '0']);
    const done = finished(child);
    await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1 \d+/);
    const port = await listeningPortOf(child.pid!);
    const client = connect(port, '127.0.0.1');
    const reply = readAll(client);
    await waitForLine(child.stderr!, /Connection received on 127\.0\.0\.1 \d+/);
    feedStdin(child, 'from listener\n');
    // The listener ends at the client's FIN (nc's rule, either tool): let its line arrive first.
    await once(client, 'data');
    client.end('from client\n');
    const result = await done;
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(result.stdout.toString(), 'from client\n', tool.name);
    assert.equal(await reply, 'from listener\n', tool.name);
  }
});

test('-T af21: the connection carries TOS 0x48, as ss(8) shows', async (t) => {
  const all = tools(t);
  if (!all) return;
  const ss = requirePeer(t, 'ss');
  if (!ss) return;
  if (!loadNative()) {
    t.skip('the native addon is not built');
    return;
  }
  for (const tool of all) {
    let connected!: (socket: Socket) => void;
    const accepted = new Promise<Socket>((resolve) => {
      connected = resolve;
    });
    const port = await peer(t, (socket) => connected(socket));
    const child = spawnTool(t, tool, ['-T', 'af21', '127.0.0.1', String(port)]);
    const done = finished(child);
    child.stdin?.on('error', () => {});
    const socket = await accepted;
    // The tool sets TOS right after connecting: wait for its first byte, sent after that.
    child.stdin?.write('x');
    await once(socket, 'data');
    const listing = await finished(spawn(ss, ['-Htn', '--tos', `dport = :${port}`]));
    assert.match(listing.stdout.toString(), /tos:0x48\b/, `${tool.name}: ${listing.stdout}`);
    child.stdin?.end();
    socket.end();
    assert.equal((await done).code, 0, tool.name);
  }
});

test('-w 1: a silent session ends quietly with status 0, stdin still open', async (t) => {
  const all = tools(t);
  if (!all) return;
  for (const tool of all) {
    let received: Promise<string> | undefined;
    const port = await peer(t, (socket) => {
      received = readAll(socket);
    });
    const child = spawnTool(t, tool, ['-w', '1', '127.0.0.1', String(port)]);
    const done = finished(child);
    child.stdin?.on('error', () => {});
    child.stdin?.write('hello\n');
    const result = await done;
    child.stdin?.end();
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(result.stderr, '', tool.name);
    assert.equal(await received, 'hello\n', tool.name);
  }
});

test('-i 1 -N: every line is sent, one per interval, then FIN', async (t) => {
  const all = tools(t);
  if (!all) return;
  const ss = requirePeer(t, 'ss');
  if (!ss) return;
  for (const tool of all) {
    // The lines go out a second apart, so each is a TCP segment of its own. The peer's kernel
    // counts the data segments it received (ss: data_segs_in); the chunks this process reads are
    // no proof, as the kernel joins queued segments if the process does not read for a second.
    let segments: Promise<string> | undefined;
    let received: Promise<string> | undefined;
    const port = await peer(t, (socket) => {
      received = readAll(socket);
      segments = received.then(async () => {
        const listing = await finished(
          spawn(ss, ['-Htin', `sport = :${socket.localPort} and dport = :${socket.remotePort}`]),
        );
        socket.end();
        return listing.stdout.toString();
      });
    });
    const child = spawnTool(t, tool, ['-N', '-i', '1', '127.0.0.1', String(port)]);
    const done = finished(child);
    feedStdin(child, 'a\nb\n');
    const result = await done;
    assert.equal(result.code, 0, `${tool.name}: ${result.stderr}`);
    assert.equal(await received, 'a\nb\n', tool.name);
    const listing = (await segments) ?? 'no connection';
    assert.match(listing, /\bdata_segs_in:2\b/, `${tool.name}: ${listing}`);
  }
});

test("-x/-X: through a SOCKS5 proxy (sockcat's server), with nc's -v line", async (t) => {
  const all = tools(t);
  if (!all) return;
  const port = await peer(t, (socket) => socket.end('hello through the proxy\n'));
  const proxy = spawn(
    process.execPath,
    [BIN, '-v', '-lk', '--proxy-type', 'socks5', '127.0.0.1', '0'],
    {
      stdio: 'pipe',
    },
  );
  t.after(() => stop(proxy));
  const listening = await waitForLine(proxy.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const proxyAddress = `127.0.0.1:${listening[1]}`;
  for (const tool of all) {
    for (const args of [
      ['-x', proxyAddress],
      ['-X', '5', '-x', proxyAddress],
    ]) {
      const child = spawnTool(t, tool, ['-v', ...args, 'localhost', String(port)]);
      const done = finished(child);
      feedStdin(child, '');
      const { code, stdout, stderr } = await done;
      const what = `${tool.name} ${args.join(' ')}`;
      assert.equal(code, 0, what);
      assert.equal(stdout.toString(), 'hello through the proxy\n', what);
      assert.match(
        stderr,
        new RegExp(`^Connection to localhost ${port} port \\[tcp/[^\\]]+\\] succeeded!$`, 'm'),
        what,
      );
    }
  }
});
