// --lua-exec from the command line: the connection's variables through os.getenv, a Lua state per
// connection with -k, a script error ending only its connection, a busy script not holding up
// the others, os.exit, connect mode, --ssl, --allow, -m, and bad scripts refused before listening.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/dial/connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { ROOT } from '../helpers/paths.js';

const HELLO = join(ROOT, 'examples', 'lua-exec', 'hello.lua');

async function script(t: TestContext, text: string, name = 'script.lua'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-lua-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function startListener(t: TestContext, args: string[]) {
  const child = spawnCli(['-lv', ...args, '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

async function client(t: TestContext, port: number, tls = false) {
  const tube = await connect(
    `127.0.0.1:${port}`,
    tls ? { tls: { insecure: true, servername: 'localhost' } } : {},
  );
  t.after(() => tube.destroy());
  return tube;
}

test('os.getenv sees NCAT_* and SOCKCAT_* of the connection and the environment', async (t) => {
  const path = await script(
    t,
    'for _, name in ipairs({"NCAT_REMOTE_ADDR", "NCAT_REMOTE_PORT", "NCAT_LOCAL_PORT", "NCAT_PROTO", "SOCKCAT_PROTO", "LUA_TEST_VALUE", "LUA_TEST_UNSET"}) do print(name, os.getenv(name)) end\n',
  );
  const child = spawnCli(['-lv', '--lua-exec', path, '127.0.0.1', '0'], {
    env: { ...process.env, LUA_TEST_VALUE: 'from the environment' },
  });
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const tube = await client(t, port);
  const text = (await tube.recvAll()).toString();
  assert.equal(
    text,
    [
      'NCAT_REMOTE_ADDR\t127.0.0.1',
      `NCAT_REMOTE_PORT\t${tube.local?.port}`,
      `NCAT_LOCAL_PORT\t${port}`,
      'NCAT_PROTO\tTCP',
      'SOCKCAT_PROTO\tTCP',
      'LUA_TEST_VALUE\tfrom the environment',
      'LUA_TEST_UNSET\tnil',
      '',
    ].join('\n'),
  );
});

test('-k: each connection has its own Lua state, and they run at the same time', async (t) => {
  const path = await script(
    t,
    'count = (count or 0) + 1\nio.write("count ", count, "\\n")\nio.write("got ", io.read("l"), "\\n")\n',
  );
  const { port } = await startListener(t, ['-k', '--lua-exec', path]);
  const first = await client(t, port);
  const second = await client(t, port);
  // Both are waiting in io.read at once: neither state is shared nor blocks the other.
  assert.equal((await first.recvLine()).toString(), 'count 1\n');
  assert.equal((await second.recvLine()).toString(), 'count 1\n');
  await second.send('two\n');
  assert.equal((await second.recvAll()).toString(), 'got two\n');
  await first.send('one\n');
  assert.equal((await first.recvAll()).toString(), 'got one\n');
});

test('a script error: one line on stderr, its connection closed after what it sent', async (t) => {
  const path = await script(
    t,
    'local line = io.read("l")\nif line == "boom" then io.write("before\\n") local x = nil; x() end\nprint("ok " .. line)\n',
    'fails.lua',
  );
  const { child, port } = await startListener(t, ['-k', '--lua-exec', path]);
  const good = await client(t, port);
  const bad = await client(t, port);
  await bad.send('boom\n');
  assert.equal((await bad.recvAll()).toString(), 'before\n');
  const line = await waitForLine(child.stderr!, /sockcat: --lua-exec [^\n]*\n/);
  assert.match(
    line[0],
    /^sockcat: --lua-exec "[^"]*fails\.lua" failed for 127\.0\.0\.1:\d+: [^\n]*fails\.lua:2: attempt to call a nil value \(local 'x'\)\n$/,
  );
  await good.send('fine\n');
  assert.equal((await good.recvAll()).toString(), 'ok fine\n');
});

test('a script busy computing does not hold up the other connections', async (t) => {
  const path = await script(
    t,
    'local line = io.read("l")\nif line == "spin" then while true do end end\nprint(line)\n',
  );
  const { child, port } = await startListener(t, ['-k', '--lua-exec', path]);
  const spinner = await client(t, port);
  await spinner.send('spin\n');
  for (const word of ['one', 'two']) {
    const other = await client(t, port);
    await other.send(`${word}\n`);
    assert.equal((await other.recvAll()).toString(), `${word}\n`);
  }
  // The spinning state is dropped when sockcat stops.
  const done = finished(child);
  child.kill('SIGTERM');
  assert.equal((await done).code, 130);
});

test('os.exit ends the script and closes the connection gracefully', async (t) => {
  const path = await script(t, 'io.write("bye\\n")\nos.exit(3)\nio.write("not sent\\n")\n');
  const { child, port } = await startListener(t, ['--lua-exec', path]);
  const done = finished(child);
  const tube = await client(t, port);
  assert.equal((await tube.recvAll()).toString(), 'bye\n');
  await tube.shutdown('send');
  assert.equal((await done).code, 0);
});

test('connect mode: the script talks to the server sockcat connects to', async (t) => {
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const path = await script(
    t,
    'io.write("question?\\n")\nio.write("answer: ", io.read("l"), "\\n")\n',
  );
  const child = spawnCli(['--lua-exec', path, '127.0.0.1', String(listener.address().port)]);
  t.after(() => stop(child));
  const done = finished(child);
  const peer = await listener.accept();
  t.after(() => peer.destroy());
  assert.equal((await peer.recvLine()).toString(), 'question?\n');
  await peer.send('42\n');
  assert.equal((await peer.recvAll()).toString(), 'answer: 42\n');
  await peer.close();
  assert.equal((await done).code, 0);
});

test('--ssl: the script speaks through TLS', async (t) => {
  const { port } = await startListener(t, ['--ssl', '--lua-exec', HELLO]);
  const tube = await client(t, port, true);
  assert.equal((await tube.recvAll()).toString(), 'Hello, world!\n');
});

test('--allow: a client that is not allowed never reaches the script, an allowed one does', async (t) => {
  const { child, port } = await startListener(t, [
    '-k',
    '--allow',
    '127.0.0.2',
    '--lua-exec',
    HELLO,
  ]);
  // Reset as soon as sockcat sees it: while connecting, or at the first read.
  try {
    const tube = await client(t, port);
    await assert.rejects(tube.recvAll(), { code: 'SOCKCAT_RESET' });
  } catch (error) {
    assert.match(String((error as Error).message), /Connection reset by peer/);
  }
  await waitForLine(child.stderr!, /New connection denied: not allowed \(127\.0\.0\.1:\d+\)/);
  const allowed = await connect(`127.0.0.1:${port}`, { localAddress: '127.0.0.2' });
  t.after(() => allowed.destroy());
  assert.equal((await allowed.recvAll()).toString(), 'Hello, world!\n');
});

test('-m 1: a second client waits for no script while the first one runs', async (t) => {
  const path = await script(t, 'print("served " .. io.read("l"))\n');
  const { child, port } = await startListener(t, ['-k', '-m', '1', '--lua-exec', path]);
  const first = await client(t, port);
  await waitForLine(child.stderr!, /Connection from 127\.0\.0\.1/);
  const second = await client(t, port);
  // Over the limit: closed without running the script.
  assert.equal((await second.recvAll()).length, 0);
  await first.send('first\n');
  assert.equal((await first.recvAll()).toString(), 'served first\n');
});

test('a bad script fails before listening: exit 2, one line', async (t) => {
  const syntax = await script(t, 'print("unterminated)\n', 'syntax.lua');
  const cases: [string, RegExp][] = [
    [
      syntax,
      /^sockcat: cannot load --lua-exec script "[^"]*syntax\.lua": [^\n]*syntax\.lua:1: unfinished string near '"unterminated\)'\n$/,
    ],
    [
      join(tmpdir(), 'sockcat-no-such-dir', 'missing.lua'),
      /^sockcat: cannot read --lua-exec script "[^"]*missing\.lua": No such file or directory\n$/,
    ],
  ];
  for (const [path, message] of cases) {
    const result = await runCli(['-lv', '127.0.0.1', '0', '--lua-exec', path]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr.replace(/^sockcat: Version[^\n]*\n/, ''), message);
  }
});

test('-C and -o apply to what the script writes and reads', async (t) => {
  const path = await script(t, 'io.write("got ", io.read("l"), "\\n")\n');
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-lua-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'session.log');
  const { child, port } = await startListener(t, ['-C', '-o', log, '--lua-exec', path]);
  const done = finished(child);
  const tube = await client(t, port);
  await tube.send('x\n');
  assert.equal((await tube.recvAll()).toString(), 'got x\r\n');
  await tube.shutdown('send');
  assert.equal((await done).code, 0);
  assert.equal(await readFile(log, 'latin1'), 'x\ngot x\r\n');
});
