import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { AbortError, ArgumentError, ExecError, SockcatError } from '../../src/errors.js';
import { execRelay, splitCommandLine } from '../../src/relay/exec.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { type Listener, listen } from '../../src/transports/tcp-listen.js';
import type { Tube } from '../../src/tube/tube.js';
import { terminated } from '../helpers/child.js';
import { descriptorsOpenedSince, openDescriptors } from '../helpers/fds.js';
import { requirePeer } from '../helpers/peers.js';

// Safety net only: every wait below is on an event.
const SAFETY = { timeout: 30_000 };

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const pin: Equals<ExecError['code'], 'SOCKCAT_EXEC'> = true;

interface Pair {
  client: Tube;
  server: Tube;
}

async function accepted(listener: Listener): Promise<Pair> {
  const { port } = listener.address();
  const [client, server] = await Promise.all([connect(`127.0.0.1:${port}`), listener.accept()]);
  return { client, server };
}

/** A connected client/server pair on loopback port 0; everything is closed after the test. */
async function pair(t: TestContext): Promise<Pair> {
  const listener = await listen('127.0.0.1:0');
  const connection = await accepted(listener);
  await listener.close();
  t.after(() => {
    connection.client.destroy();
    connection.server.destroy();
  });
  return connection;
}

/** The client reads to EOF (expecting nothing) and closes: the server side's graceful close ends. */
async function expectNothingThenClose(client: Tube): Promise<void> {
  assert.equal((await client.recvAll()).length, 0);
  await client.close();
}

/** Processes whose parent is this one (zombies included), from the ppid field of /proc/PID/stat. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid) pids.push(Number(name));
  }
  return pids;
}

test('splitCommandLine splits like ncat 7.93 -e: no quotes, backslash escapes', () => {
  const vectors: Array<[string, string[]]> = [
    // ncat's own test/test-cmdline-split.c vectors.
    ['ncat -l -k', ['ncat', '-l', '-k']],
    ['ncat localhost 793', ['ncat', 'localhost', '793']],
    ['./ncat scanme.nmap.org 80', ['./ncat', 'scanme.nmap.org', '80']],
    ['t\\ p\\ s hello world how are you?', ['t p s', 'hello', 'world', 'how', 'are', 'you?']],
    ['t\\ p\\ s hello world how\\ are you?', ['t p s', 'hello', 'world', 'how are', 'you?']],
    ['ncat\\', ['ncat']],
    ['a\\nb', ['anb']],
    [' ncat a ', ['ncat', 'a']],
    ['\\ncat \\a', ['ncat', 'a']],
    ['ncat\\\\ a', ['ncat\\', 'a']],
    ['ncat\\ \\', ['ncat ']],
    ['', []],
    // Checked against the ncat 7.93 binary (-e with a program that prints its argv).
    ['/bin/echo a  "b c"', ['/bin/echo', 'a', '"b', 'c"']],
    ["/bin/echo 'x y' z", ['/bin/echo', "'x", "y'", 'z']],
    ['p a\\x   y z', ['p', 'axy', 'z']],
    ['p a\\  b', ['p', 'a b']],
    ['p a\tb\n', ['p', 'a', 'b']],
    ['p $HOME *', ['p', '$HOME', '*']],
  ];
  for (const [line, words] of vectors) {
    assert.deepEqual(splitCommandLine(line), words, JSON.stringify(line));
  }
});

test(
  'echo through /bin/cat with half-close: everything comes back, then the connection ends',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const relay = execRelay(server, { command: '/bin/cat' });
    await client.send('hello\n');
    await client.send('world\n');
    await client.shutdown('send');
    assert.equal((await client.recvAll()).toString(), 'hello\nworld\n');
    assert.deepEqual(await relay, {
      exitCode: 0,
      signal: null,
      sent: 12,
      received: 12,
      end: 'closed',
    });
    assert.equal(server.closed, true);
    await client.close();
  },
);

test(
  'the peer FIN closes only the child stdin: output written after it still arrives',
  SAFETY,
  async (t) => {
    // ncat 7.93 closes the connection at the peer's FIN and this output is lost (docs/eof.md).
    const { client, server } = await pair(t);
    const relay = execRelay(server, {
      command: 'cat >/dev/null; echo "after EOF"',
      shell: true,
    });
    await client.send('request');
    await client.shutdown('send');
    assert.equal((await client.recvAll()).toString(), 'after EOF\n');
    assert.deepEqual(await relay, {
      exitCode: 0,
      signal: null,
      sent: 10,
      received: 7,
      end: 'closed',
    });
  },
);

test(
  'a large transfer through cat keeps every byte, both ways at once (backpressure)',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const relay = execRelay(server, { command: '/bin/cat' });
    const data = randomBytes(8 * 1024 * 1024);
    const sending = (async () => {
      for (let at = 0; at < data.length; at += 100_000)
        await client.send(data.subarray(at, at + 100_000));
      await client.shutdown('send');
    })();
    const back = await client.recvAll();
    await sending;
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(back.length, data.length);
    assert.equal(digest(back), digest(data));
    const result = await relay;
    assert.equal(result.sent, data.length);
    assert.equal(result.received, data.length);
  },
);

test('the child gets NCAT_* and SOCKCAT_* with the connection endpoints', SAFETY, async (t) => {
  const { client, server } = await pair(t);
  const relay = execRelay(server, { command: '/usr/bin/env', env: { GIVEN: 'yes' } });
  const output = (await client.recvAll()).toString();
  await client.close();
  await relay;
  const env = Object.fromEntries(
    output
      .trimEnd()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const remotePort = String(client.local?.port);
  const localPort = String(client.remote?.port);
  assert.deepEqual(env, {
    GIVEN: 'yes',
    NCAT_REMOTE_ADDR: '127.0.0.1',
    NCAT_REMOTE_PORT: remotePort,
    NCAT_LOCAL_ADDR: '127.0.0.1',
    NCAT_LOCAL_PORT: localPort,
    NCAT_PROTO: 'TCP',
    SOCKCAT_REMOTE_ADDR: '127.0.0.1',
    SOCKCAT_REMOTE_PORT: remotePort,
    SOCKCAT_LOCAL_ADDR: '127.0.0.1',
    SOCKCAT_LOCAL_PORT: localPort,
    SOCKCAT_PROTO: 'TCP',
  });
});

test('shell: true runs the command through /bin/sh -c, pipes included', SAFETY, async (t) => {
  const { client, server } = await pair(t);
  const relay = execRelay(server, { command: 'tr a-z A-Z | tr -d X', shell: true });
  await client.send('hello xyz\n');
  await client.shutdown('send');
  assert.equal((await client.recvAll()).toString(), 'HELLO YZ\n');
  assert.deepEqual(await relay, {
    exitCode: 0,
    signal: null,
    sent: 9,
    received: 10,
    end: 'closed',
  });
});

test(
  'without shell the command is split the ncat way and no shell expands it',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const relay = execRelay(server, {
      command: '/usr/bin/printf %s| a  "b c" x\\ y $HOME *',
    });
    assert.equal((await client.recvAll()).toString(), 'a|"b|c"|x y|$HOME|*|');
    await client.close();
    assert.equal((await relay).exitCode, 0);
  },
);

test(
  'a child that exits while the peer still sends: output delivered, FIN, no crash',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const relay = execRelay(server, { command: '/usr/bin/head -c 5' });
    let stop = false;
    const flood = (async () => {
      await client.send('hello');
      const block = Buffer.alloc(64 * 1024, 'x');
      // Keeps sending until it has seen the end; the server discards what the child no longer reads.
      while (!stop) await client.send(block);
    })().catch(() => {});
    assert.equal((await client.recvAll()).toString(), 'hello');
    stop = true;
    await client.close();
    await flood;
    const result = await relay;
    assert.equal(result.exitCode, 0);
    assert.equal(result.sent, 5);
    assert.ok(result.received >= 5);
  },
);

test(
  'a child that closes stdout but runs on: FIN at once, the peer can still feed it',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const relay = execRelay(server, {
      command: 'echo hi; exec >&-; read line; [ "$line" = ping ] && exit 7',
      shell: true,
    });
    // EOF arrives while the child is still waiting for its line.
    assert.equal((await client.recvAll()).toString(), 'hi\n');
    await client.sendLine('ping');
    await client.shutdown('send');
    assert.deepEqual(await relay, {
      exitCode: 7,
      signal: null,
      sent: 3,
      received: 5,
      end: 'closed',
    });
    await client.close();
  },
);

test(
  'a peer reset ends the child and its process group; the promise resolves after reaping',
  SAFETY,
  async (t) => {
    const python = requirePeer(t, 'python3');
    if (!python) return;
    const { client, server } = await pair(t);
    // The background sleep is a grandchild holding the child's stdout.
    const relay = execRelay(server, { command: 'sleep 1000 & echo $$ $!; wait', shell: true });
    const [shell, sleeper] = (await client.recvLine({ drop: true }))
      .toString()
      .split(' ')
      .map(Number);
    assert.ok(shell && sleeper);
    assert.ok(existsSync(`/proc/${shell}`));
    client.reset();
    const result = await relay;
    assert.deepEqual(result, {
      exitCode: null,
      signal: 'SIGTERM',
      sent: result.sent,
      received: 0,
      end: 'reset',
    });
    // Reaped: no zombie left behind.
    assert.equal(existsSync(`/proc/${shell}`), false);
    assert.deepEqual(childPids(), []);
    // The grandchild got the group's SIGTERM too (it is not ours to reap).
    await terminated(t, python, sleeper);
  },
);

test(
  'abort: the child is ended and the promise rejects with AbortError once it is reaped',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const controller = new AbortController();
    const relay = execRelay(server, {
      command: 'echo $$; exec sleep 1000',
      shell: true,
      signal: controller.signal,
    });
    const pid = Number((await client.recvLine({ drop: true })).toString());
    controller.abort();
    await assert.rejects(relay, (error: AbortError) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.code, 'SOCKCAT_ABORTED');
      assert.equal(error.message, 'exec "echo $$; exec sleep 1000" aborted');
      return true;
    });
    assert.equal(existsSync(`/proc/${pid}`), false);
    assert.equal(server.closed, true);
  },
);

test(
  'abort during the graceful close after the child exited: rejects at once',
  SAFETY,
  async (t) => {
    // The server waits for the peer's FIN for as long as it takes: only the abort can end it.
    const listener = await listen('127.0.0.1:0', { tube: { closeTimeout: 3_600_000 } });
    const { client, server } = await accepted(listener);
    await listener.close();
    t.after(() => client.destroy());
    const controller = new AbortController();
    const relay = execRelay(server, { command: '/bin/true', signal: controller.signal });
    // EOF: the child has closed its stdout; the client keeps its side open.
    assert.equal((await client.recvAll()).length, 0);
    controller.abort();
    await assert.rejects(relay, { code: 'SOCKCAT_ABORTED' });
    assert.equal(server.closed, true);
  },
);

test(
  'an already aborted signal: nothing is started and the connection is destroyed',
  SAFETY,
  async (t) => {
    const { client, server } = await pair(t);
    const before = childPids();
    await assert.rejects(execRelay(server, { command: '/bin/cat', signal: AbortSignal.abort() }), {
      code: 'SOCKCAT_ABORTED',
      message: 'exec "/bin/cat" aborted',
    });
    assert.equal(server.closed, true);
    assert.deepEqual(childPids(), before);
    await client.recvAll().catch(() => {});
  },
);

test('a child that ignores SIGTERM is killed after killGraceMs', SAFETY, async (t) => {
  const { client, server } = await pair(t);
  const relay = execRelay(server, {
    command: "trap '' TERM; echo ready; while :; do sleep 1; done",
    shell: true,
    killGraceMs: 50,
  });
  assert.equal((await client.recvLine()).toString(), 'ready\n');
  client.reset();
  const result = await relay;
  assert.equal(result.signal, 'SIGKILL');
  assert.deepEqual(childPids(), []);
});

test(
  'a missing program rejects with ExecError naming the command; the peer sees EOF',
  SAFETY,
  async (t) => {
    assert.equal(pin, true);
    const { client, server } = await pair(t);
    const relay = execRelay(server, { command: '/nonexistent/program --flag' });
    const closed = expectNothingThenClose(client);
    await assert.rejects(relay, (error: ExecError) => {
      assert.ok(error instanceof ExecError);
      assert.ok(error instanceof SockcatError);
      assert.equal(error.name, 'ExecError');
      assert.equal(error.code, 'SOCKCAT_EXEC');
      assert.equal(error.op, 'exec');
      assert.equal(error.command, '/nonexistent/program --flag');
      assert.equal(
        error.message,
        'exec "/nonexistent/program --flag" failed: No such file or directory',
      );
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
    await closed;
    assert.equal(server.closed, true);
  },
);

test(
  'no PATH search without a shell, as ncat -e; a file that is not executable',
  SAFETY,
  async (t) => {
    const [first, second, third] = await Promise.all([pair(t), pair(t), pair(t)]);
    const closed = Promise.all([first, second, third].map((p) => expectNothingThenClose(p.client)));
    await assert.rejects(execRelay(first.server, { command: 'cat', cwd: '/' }), {
      code: 'SOCKCAT_EXEC',
      message:
        'exec "cat" in "/" failed: No such file or directory (the program must be given as a path, such as /bin/cat: there is no PATH search without a shell)',
    });
    await assert.rejects(execRelay(second.server, { command: '/etc/passwd' }), {
      code: 'SOCKCAT_EXEC',
      message: 'exec "/etc/passwd" failed: Permission denied',
    });
    await assert.rejects(execRelay(third.server, { command: ' \t' }), (error: ArgumentError) => {
      assert.ok(error instanceof ArgumentError);
      assert.equal(error.message, 'exec needs a command, got " \\t"');
      return true;
    });
    await closed;
    assert.equal(third.server.closed, true);
  },
);

// 200 children one after the other: 20 s at a load average of 20 on two cores, too close to
// SAFETY's 30 s. Still only a guard against a hang.
const SAFETY_200 = { timeout: 120_000 };

test(
  '200 sequential connections leave no file descriptor and no child process behind',
  SAFETY_200,
  async (t) => {
    const listener = await listen('127.0.0.1:0');
    t.after(() => listener.close());
    const run = async (i: number) => {
      const { client, server } = await accepted(listener);
      if (i % 10 === 9) {
        // A spawn failure must not leak the pipes either.
        const relay = execRelay(server, { command: '/nonexistent/program' });
        const closed = expectNothingThenClose(client);
        await assert.rejects(relay, { code: 'SOCKCAT_EXEC' });
        await closed;
      } else if (i % 2 === 0) {
        const relay = execRelay(server, { command: '/bin/true' });
        assert.equal((await client.recvAll()).length, 0);
        await client.close();
        assert.deepEqual(await relay, {
          exitCode: 0,
          signal: null,
          sent: 0,
          received: 0,
          end: 'closed',
        });
      } else {
        const relay = execRelay(server, { command: '/bin/cat' });
        await client.send(`connection ${i}`);
        await client.shutdown('send');
        assert.equal((await client.recvAll()).toString(), `connection ${i}`);
        await client.close();
        assert.equal((await relay).exitCode, 0);
      }
    };
    // Warm up: the first spawn and connection open descriptors that stay (signal pipes, epoll).
    await run(1);
    const fds = openDescriptors();
    const children = childPids();
    for (let i = 0; i < 200; i++) await run(i);
    assert.deepEqual(descriptorsOpenedSince(fds), []);
    assert.deepEqual(childPids(), children);
  },
);

test(
  'a Unix socket connection: NCAT_* as ncat 7.93 reports it, SOCKCAT_PROTO=UNIX',
  SAFETY,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sockcat-exec-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 's.sock');
    const listener = await listen({ path });
    const [client, server] = await Promise.all([connect({ path }), listener.accept()]);
    await listener.close();
    t.after(() => {
      client.destroy();
      server.destroy();
    });
    const relay = execRelay(server, { command: '/usr/bin/env', env: {} });
    const output = (await client.recvAll()).toString();
    await client.close();
    await relay;
    const env = new Map(
      output
        .trimEnd()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    assert.equal(env.get('NCAT_REMOTE_ADDR'), 'localhost');
    assert.equal(env.get('NCAT_REMOTE_PORT'), '');
    assert.equal(env.get('NCAT_LOCAL_ADDR'), 'localhost');
    assert.equal(env.get('NCAT_LOCAL_PORT'), '');
    assert.equal(env.get('NCAT_PROTO'), 'TCP');
    assert.equal(env.get('SOCKCAT_PROTO'), 'UNIX');
    assert.equal(env.get('SOCKCAT_REMOTE_PORT'), '');
  },
);

test('hooks: onSpawn, onExit, transformSend and the onSend/onReceive taps', SAFETY, async (t) => {
  const { client, server } = await pair(t);
  const calls: string[] = [];
  const sentChunks: Buffer[] = [];
  const receivedChunks: Buffer[] = [];
  let spawned: number | undefined;
  const relay = execRelay(server, {
    command: '/bin/cat',
    onSpawn: (pid) => {
      spawned = pid;
      calls.push('spawn');
    },
    onExit: (code, signal) => calls.push(`exit ${code} ${signal}`),
    transformSend: (chunk) => Buffer.from(chunk.toString().toUpperCase()),
    onSend: (chunk) => sentChunks.push(chunk),
    onReceive: (chunk) => receivedChunks.push(chunk),
  });
  await client.send('abc\n');
  await client.shutdown('send');
  assert.equal((await client.recvAll()).toString(), 'ABC\n');
  await client.close();
  const result = await relay;
  assert.equal(typeof spawned, 'number');
  assert.deepEqual(calls, ['spawn', 'exit 0 null']);
  assert.equal(Buffer.concat(sentChunks).toString(), 'ABC\n');
  assert.equal(Buffer.concat(receivedChunks).toString(), 'abc\n');
  assert.deepEqual(result, { exitCode: 0, signal: null, sent: 4, received: 4, end: 'closed' });
});
