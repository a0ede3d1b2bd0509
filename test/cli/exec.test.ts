// -e, -c and --js-exec from the command line: connect, listen and -l -k modes, the child's
// environment, end of file both ways, resets, the exposure warning, --json events, and no fd or
// child left behind after many connections.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import {
  alive,
  feedStdin,
  finished,
  runCli,
  spawnCli,
  stop,
  waitForLine,
} from '../helpers/child.js';
import { descriptorsOpenedSince, openDescriptors } from '../helpers/fds.js';
import { EXAMPLES } from '../helpers/paths.js';

const UPPER = join(EXAMPLES, 'js-exec', 'upper.js');

/** sockcat -l (-k) ... on 127.0.0.1 port 0; resolves once it listens. */
async function startListener(t: TestContext, args: string[], host = '127.0.0.1') {
  const child = spawnCli(['-lv', ...args, host, '0']);
  t.after(() => stop(child));
  // stdin stays open: in exec mode it must not matter.
  const match = await waitForLine(child.stderr!, /Listening on (?:127\.0\.0\.1|0\.0\.0\.0):(\d+)/);
  return { child, port: Number(match[1]) };
}

async function client(t: TestContext, port: number) {
  const tube = await connect(`127.0.0.1:${port}`);
  t.after(() => tube.destroy());
  return tube;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-exec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The --json events a child printed on stderr so far, parsed. */
function jsonEvents(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('connect mode', () => {
  test('-e: the child talks to the peer; sockcat stdin and stdout are not relayed', async (t) => {
    const listener = await listen('127.0.0.1:0');
    t.after(() => listener.close());
    const child = spawnCli(['-e', '/bin/cat', '127.0.0.1', String(listener.address().port)]);
    t.after(() => stop(child));
    const done = finished(child);
    feedStdin(child, 'from sockcat stdin\n');
    const peer = await listener.accept();
    t.after(() => peer.destroy());
    await peer.send('echo me\n');
    await peer.shutdown('send');
    assert.equal((await peer.recvAll()).toString(), 'echo me\n');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.length, 0);
    assert.equal(result.stderr, '');
  });

  test('--json: connected, exec, exited and closed, with one id', async (t) => {
    const listener = await listen('127.0.0.1:0');
    t.after(() => listener.close());
    const port = listener.address().port;
    const child = spawnCli(['--json', '-c', 'echo hi; exit 3', '127.0.0.1', String(port)]);
    t.after(() => stop(child));
    const done = finished(child);
    const peer = await listener.accept();
    t.after(() => peer.destroy());
    assert.equal((await peer.recvAll()).toString(), 'hi\n');
    await peer.shutdown('send');
    const result = await done;
    assert.equal(result.code, 0, "the child exit status is not sockcat's (as ncat)");
    const events = jsonEvents(result.stderr);
    assert.deepEqual(
      events.map((event) => event['event']),
      ['connected', 'exec', 'exited', 'closed'],
    );
    const [connected, exec, exited, closed] = events;
    assert.deepEqual(connected!['remote'], { address: '127.0.0.1', port });
    assert.equal(typeof exec!['pid'], 'number');
    assert.equal(exited!['code'], 3);
    assert.equal(closed!['reason'], 'exited');
    assert.equal(closed!['received'], 0);
    assert.equal(closed!['sent'], 3);
    assert.equal(new Set(events.map((event) => event['id'])).size, 1);
  });

  test('-e: a program that cannot be started is one line, exit 1; the connection is closed', async (t) => {
    const listener = await listen('127.0.0.1:0');
    t.after(() => listener.close());
    const child = spawnCli([
      '-e',
      '/nonexistent/prog',
      '127.0.0.1',
      String(listener.address().port),
    ]);
    t.after(() => stop(child));
    const done = finished(child);
    const peer = await listener.accept();
    t.after(() => peer.destroy());
    assert.equal((await peer.recvAll()).length, 0);
    await peer.shutdown('send');
    const result = await done;
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'sockcat: exec "/nonexistent/prog" failed: No such file or directory\n',
    );
  });
});

describe('listen mode', () => {
  test('-c: the peer sees NCAT_* and SOCKCAT_* of its connection', async (t) => {
    const { child, port } = await startListener(t, [
      '-c',
      'echo "$NCAT_REMOTE_ADDR $NCAT_REMOTE_PORT $NCAT_LOCAL_ADDR $NCAT_LOCAL_PORT $NCAT_PROTO"; echo "$SOCKCAT_REMOTE_ADDR $SOCKCAT_REMOTE_PORT $SOCKCAT_LOCAL_ADDR $SOCKCAT_LOCAL_PORT $SOCKCAT_PROTO"',
    ]);
    const done = finished(child);
    const tube = await client(t, port);
    const expected = `127.0.0.1 ${tube.local!.port} 127.0.0.1 ${port} TCP\n`;
    assert.equal((await tube.recvAll()).toString(), expected + expected);
    await tube.shutdown('send');
    assert.equal((await done).code, 0);
  });

  test('-c: the peer FIN reaches the child (wc -c counts), its output still comes back', async (t) => {
    const { child, port } = await startListener(t, ['-c', 'wc -c']);
    const done = finished(child);
    const tube = await client(t, port);
    await tube.send('hello world\n');
    await tube.shutdown('send');
    assert.equal((await tube.recvAll()).toString().trim(), '12');
    const result = await done;
    assert.equal(result.code, 0);
    assert.equal(result.stdout.length, 0);
  });

  test('-c: the child exiting closes the connection (FIN) while the peer keeps it open', async (t) => {
    const { child, port } = await startListener(t, ['-c', 'echo bye']);
    const done = finished(child);
    const tube = await client(t, port);
    assert.equal((await tube.recvAll()).toString(), 'bye\n');
    await tube.shutdown('send');
    assert.equal((await done).code, 0);
  });

  test('a peer reset ends the child (SIGTERM to its group) and sockcat reaps it', async (t) => {
    const { child, port } = await startListener(t, [
      '--json',
      '-c',
      'echo started; exec /bin/sleep 1000',
    ]);
    const done = finished(child);
    const tube = await client(t, port);
    assert.equal((await tube.recvLine()).toString(), 'started\n');
    const execLine = await waitForLine(child.stderr!, /"event":"exec"[^\n]*"pid":(\d+)/);
    const pid = Number(execLine[1]);
    assert.ok(alive(pid));
    tube.reset();
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(alive(pid), false, 'the child is gone (and was reaped) when sockcat exits');
    // finished() may have started reading stderr after the 'listening' event.
    // (and the exposure warning is a `log` event: stderr is NDJSON only with --json).
    const events = jsonEvents(result.stderr).filter(
      (event) => event['event'] !== 'listening' && event['event'] !== 'log',
    );
    assert.deepEqual(
      events.map((event) => event['event']),
      ['accepted', 'exec', 'exited', 'closed'],
    );
    const [accepted, exec, exited, closed] = events;
    assert.equal(exec!['command'], 'echo started; exec /bin/sleep 1000');
    assert.equal(exec!['pid'], pid);
    assert.equal(exited!['signal'], 'SIGTERM');
    assert.equal(exited!['code'], null);
    assert.equal(closed!['reason'], 'reset');
    assert.equal(accepted!['id'], closed!['id']);
    assert.equal(exec!['id'], closed!['id']);
  });

  test('-i: an idle connection ends the child; exit 1 with the idle message', async (t) => {
    const { child, port } = await startListener(t, ['-i', '200ms', '-c', 'exec /bin/sleep 1000']);
    const done = finished(child);
    const tube = await client(t, port);
    assert.equal((await tube.recvAll()).length, 0);
    const result = await done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /sockcat: idle timeout expired \(200 ms\)\n$/);
  });

  test('-o and -x record both directions; -C turns the child LF into CRLF', async (t) => {
    const dir = await tempDir(t);
    const raw = join(dir, 'raw');
    const hex = join(dir, 'hex');
    const { child, port } = await startListener(t, ['-C', '-o', raw, '-x', hex, '-e', '/bin/cat']);
    const done = finished(child);
    const tube = await client(t, port);
    await tube.send('a\n');
    assert.equal((await tube.recvExactly(3)).toString(), 'a\r\n');
    await tube.shutdown('send');
    assert.equal((await tube.recvAll()).length, 0);
    assert.equal((await done).code, 0);
    assert.equal(await readFile(raw, 'utf8'), 'a\na\r\n');
    assert.match(await readFile(hex, 'utf8'), /^0000 {3}61 0a {6}/);
  });
});

describe('keep open', () => {
  test('-k: each client gets its own child, at the same time', async (t) => {
    const { child, port } = await startListener(t, ['-k', '--json', '-c', 'echo "pid $$"; cat']);
    const clients = await Promise.all([1, 2, 3].map(() => client(t, port)));
    const pids = await Promise.all(clients.map(async (tube) => (await tube.recvLine()).toString()));
    assert.equal(new Set(pids).size, 3, `three children: ${pids.join(',')}`);
    // All three children are running now; each echoes its own client.
    await Promise.all(
      clients.map(async (tube, index) => {
        await tube.send(`client ${index}\n`);
        await tube.shutdown('send');
        assert.equal((await tube.recvAll()).toString(), `client ${index}\n`);
      }),
    );
    await waitForLine(child.stderr!, /("event":"exited"[^\n]*\n[\s\S]*){3}/);
    const done = finished(child);
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
  });

  test('-k: SIGTERM ends the running children and reaps them before exiting 143', async (t) => {
    const { child, port } = await startListener(t, [
      '-k',
      '--json',
      '-c',
      'echo up; exec /bin/sleep 1000',
    ]);
    const tube = await client(t, port);
    assert.equal((await tube.recvLine()).toString(), 'up\n');
    const pid = Number((await waitForLine(child.stderr!, /"event":"exec"[^\n]*"pid":(\d+)/))[1]);
    const done = finished(child);
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
    assert.equal(alive(pid), false);
  });

  test('-k -m 1: a second client is closed while the first child runs', async (t) => {
    const { port } = await startListener(t, ['-k', '-m', '1', '-e', '/bin/cat']);
    const first = await client(t, port);
    await first.send('x');
    assert.equal((await first.recvExactly(1)).toString(), 'x');
    const second = await client(t, port);
    assert.equal((await second.recvAll()).length, 0);
  });

  test('-k: --deny resets refused clients before any child starts', async (t) => {
    const { child, port } = await startListener(t, [
      '-k',
      '--json',
      '--deny',
      '127.0.0.1',
      '-e',
      '/bin/cat',
    ]);
    // The reset can arrive before the client has seen its connect complete (serve() now takes
    // each connection as it is accepted): either step fails, nothing is ever received.
    await assert.rejects(client(t, port).then((tube) => tube.recvAll()));
    await waitForLine(child.stderr!, /New connection denied/);
    const done = finished(child);
    child.kill('SIGTERM');
    assert.doesNotMatch((await done).stderr, /"event":"(?:exec|accepted)"/);
  });

  test('200 connections through -l -k -e leave no fd and no child behind', async (t) => {
    const { child, port } = await startListener(t, ['-k', '--json', '-e', '/bin/cat']);
    const pid = child.pid!;
    let closed = 0;
    const closedWaiters: { count: number; resolve: () => void }[] = [];
    let partial = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.includes('"event":"closed"')) closed++;
      for (const waiter of [...closedWaiters]) {
        if (closed >= waiter.count) {
          closedWaiters.splice(closedWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    const closedCount = (count: number) =>
      closed >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => closedWaiters.push({ count, resolve }));
    const oneSession = async (n: number) => {
      const tube = await connect(`127.0.0.1:${port}`);
      try {
        await tube.send(`ping ${n}\n`);
        await tube.shutdown('send');
        assert.equal((await tube.recvAll()).toString(), `ping ${n}\n`);
      } finally {
        tube.destroy();
      }
    };
    const sessions = async (from: number, count: number, concurrency: number) => {
      let next = from;
      const worker = async () => {
        while (next < from + count) await oneSession(next++);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };
    const children = async () => {
      let count = 0;
      for (const task of await readdir(`/proc/${pid}/task`)) {
        const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
        count += text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
      }
      return count;
    };
    // Warm up: whatever Node opens once (the SIGCHLD pipe, ...) is opened now.
    await sessions(0, 2, 1);
    await closedCount(2);
    const fdsBefore = openDescriptors(pid);
    assert.equal(await children(), 0);
    await sessions(2, 200, 4);
    await closedCount(202);
    assert.deepEqual(descriptorsOpenedSince(fdsBefore, pid), [], 'no descriptor left open');
    assert.equal(await children(), 0, 'every child reaped');
  });
});

describe('the exposure warning', () => {
  const WARNING =
    /sockcat: warning: -e on \S+ (?:and \S+ )?without --allow: anyone who can reach this port can run the command\n/;

  test('listening on every address without --allow warns once, even without -v', async (t) => {
    const child = spawnCli(['-l', '-k', '0', '-e', '/bin/cat']);
    t.after(() => stop(child));
    const match = await waitForLine(child.stderr!, /sockcat: warning: [^\n]*\n/);
    assert.match(match[0], WARNING);
    assert.match(match[0], /on \[::\]:\d+ and 0\.0\.0\.0:\d+ /);
  });

  for (const [name, args] of [
    ['loopback', ['-l', '-k', '-v', '127.0.0.1', '0', '-e', '/bin/cat']],
    [
      'every address with --allow',
      ['-l', '-k', '-v', '--allow', '127.0.0.1', '0', '-e', '/bin/cat'],
    ],
  ] as const) {
    test(`no warning: ${name}`, async (t) => {
      const child = spawnCli([...args]);
      t.after(() => stop(child));
      const match = await waitForLine(
        child.stderr!,
        /Listening on (?:127\.0\.0\.1|0\.0\.0\.0):(\d+)/,
      );
      // A full session, then the transcript: the warning would come right after "Listening".
      const tube = await client(t, Number(match[1]));
      await tube.send('x');
      await tube.shutdown('send');
      assert.equal((await tube.recvAll()).toString(), 'x');
      await waitForLine(child.stderr!, /Connection from/);
      const done = finished(child);
      child.kill('SIGTERM');
      const result = await done;
      assert.doesNotMatch(result.stderr, /warning/);
    });
  }
});

describe('--js-exec', () => {
  test('the example module answers each client; returning closes with FIN', async (t) => {
    const { child, port } = await startListener(t, ['-k', '--js-exec', UPPER]);
    for (const text of ['hello\nworld', 'again\n']) {
      const tube = await client(t, port);
      await tube.send(text);
      await tube.shutdown('send');
      assert.equal(
        (await tube.recvAll()).toString(),
        `hello 127.0.0.1, send lines\n${text.toUpperCase()}`,
      );
    }
    const done = finished(child);
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
  });

  test('a module that throws: one line, only its connection is reset', async (t) => {
    const dir = await tempDir(t);
    const module = join(dir, 'thrower.mjs');
    await writeFile(
      module,
      `export default async function (tube) {
  const line = (await tube.recvLine()).toString();
  if (line === 'boom\\n') throw new Error('boom\\nsecond line');
  await tube.send('ok ' + line);
}
`,
    );
    const { child, port } = await startListener(t, ['-k', '--js-exec', module]);
    const good = await client(t, port);
    const bad = await client(t, port);
    await bad.send('boom\n');
    await assert.rejects(bad.recvAll(), { code: 'SOCKCAT_RESET' });
    const line = await waitForLine(child.stderr!, /sockcat: --js-exec [^\n]*\n/);
    assert.match(
      line[0],
      /^sockcat: --js-exec "[^"]*thrower\.mjs" failed for 127\.0\.0\.1:\d+: boom\n$/,
    );
    await good.send('fine\n');
    assert.equal((await good.recvAll()).toString(), 'ok fine\n');
  });

  test('a bad module fails before listening: exit 2, one line', async (t) => {
    const dir = await tempDir(t);
    const noDefault = join(dir, 'no-default.mjs');
    await writeFile(noDefault, 'export const handler = () => {};\n');
    const syntax = join(dir, 'syntax.mjs');
    await writeFile(syntax, 'export default (\n');
    const cases: [string, RegExp][] = [
      [
        noDefault,
        /^sockcat: --js-exec module "[^"]*no-default\.mjs" has no default export function \(export default async function \(tube, info\) \{ \.\.\. \}\)\n$/,
      ],
      [syntax, /^sockcat: cannot load --js-exec module "[^"]*syntax\.mjs": [^\n]+\n$/],
      [
        join(dir, 'missing.mjs'),
        /^sockcat: cannot load --js-exec module "[^"]*missing\.mjs": module not found\n$/,
      ],
    ];
    for (const [module, message] of cases) {
      const result = await runCli(['-lv', '127.0.0.1', '0', '--js-exec', module]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr.replace(/^sockcat: Version[^\n]*\n/, ''), message);
    }
  });

  test('a relative path is resolved against the working directory', async (t) => {
    const dir = await tempDir(t);
    await writeFile(
      join(dir, 'hi.mjs'),
      "export default (tube, info) => tube.send('hi ' + info.proto + '\\n');\n",
    );
    const child = spawnCli(['-lv', '127.0.0.1', '0', '--js-exec', 'hi.mjs'], { cwd: dir });
    t.after(() => stop(child));
    const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
    const done = finished(child);
    const tube = await client(t, Number(match[1]));
    assert.equal((await tube.recvAll()).toString(), 'hi TCP\n');
    await tube.shutdown('send');
    assert.equal((await done).code, 0);
  });
});

test('--js-exec in connect mode with -i: an idle connection ends the module, exit 1', async (t) => {
  const dir = await tempDir(t);
  const module = join(dir, 'waiter.mjs');
  await writeFile(module, 'export default async (tube) => { await tube.recvAll(); };\n');
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const child = spawnCli([
    '-i',
    '200ms',
    '--js-exec',
    module,
    '127.0.0.1',
    String(listener.address().port),
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  const peer = await listener.accept();
  t.after(() => peer.destroy());
  const result = await done;
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'sockcat: idle timeout expired (200 ms)\n');
});

test('-l -k --js-exec: SIGTERM with a client in ends its session as aborted, status 143', async (t) => {
  // The handler is iterating the tube when the shutdown closes it: that closed tube is not a
  // failure of the module (it used to end the run with status 1, "the tube is closed").
  const dir = await tempDir(t);
  const module = join(dir, 'echo.mjs');
  await writeFile(
    module,
    'export default async (tube) => { for await (const chunk of tube) await tube.send(chunk); };\n',
  );
  const child = spawnCli(['--json', '-l', '-k', '--js-exec', module, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const done = finished(child);
  const port = Number((await waitForLine(child.stderr!, /"event":"listening".*?"port":(\d+)/))[1]);
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  await client.send('hi\n');
  assert.equal((await client.recvLine()).toString(), 'hi\n');
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 143, result.stderr);
  assert.match(result.stderr, /"event":"closed","id":1,"reason":"aborted"/);
  assert.doesNotMatch(result.stderr, /"event":"error"/);
});

describe('arguments', () => {
  test('options about stdin/stdout, -u, and taps with --js-exec are refused by name', async () => {
    const cases: [string[], string][] = [
      [
        ['-l', '-e', '/bin/cat', '--recv-only', '1'],
        '--recv-only is about standard input and output, which -e does not relay; it cannot be used with -e',
      ],
      [
        ['-l', '-c', 'cat', '-q', '1', '1'],
        '-q is about standard input and output, which -c does not relay; it cannot be used with -c',
      ],
      [
        ['-l', '--js-exec', 'x.mjs', '-o', 'f', '1'],
        '-o cannot be used with --js-exec: the module sends and receives on the connection itself',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `sockcat: ${message}\n`);
    }
  });
});
