// --lua-exec side by side with Debian's lua5.4: the same script, run by lua5.4 with its stdio
// piped and by `sockcat -l --lua-exec` for a client that sends the same input and then its FIN,
// prints the same bytes. The scripts are the examples modelled on ncat's own (an echo service, a
// "hello" script, a menu), a script that ends in an error, and one that tries most of io.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { feedStdin, finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { ROOT } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

const SCRIPTS = join(ROOT, 'examples', 'lua-exec');

/** What lua5.4 prints for `input` on its stdin. */
async function byLua(t: TestContext, lua: string, script: string, input: Buffer) {
  const child = spawn(lua, [script], { stdio: 'pipe' });
  t.after(() => stop(child));
  const done = finished(child);
  feedStdin(child, input);
  return done;
}

/** What a client of `sockcat -l --lua-exec script` receives for `input`, and sockcat's stderr. */
async function bySockcat(t: TestContext, script: string, input: Buffer) {
  const child = spawnCli(['-lv', '127.0.0.1', '0', '--lua-exec', script]);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  const done = finished(child);
  const tube = await connect(`127.0.0.1:${match[1]}`);
  t.after(() => tube.destroy());
  await tube.send(input);
  await tube.shutdown('send');
  const received = await tube.recvAll();
  const result = await done;
  return { received, ...result };
}

async function scriptFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-lua-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const BINARY = Buffer.concat([
  Buffer.from('héllo\n'),
  Buffer.from([0, 0xff, 0xfe, 0x80, 0x0a, 0x0d]),
  Buffer.from('no newline at the end'),
]);

const CASES: [string, string, Buffer][] = [
  ['echo.lua (a byte at a time, binary)', 'echo.lua', BINARY],
  ['hello.lua', 'hello.lua', Buffer.from('ignored\n')],
  ['menu.lua until "0"', 'menu.lua', Buffer.from('1\n2\n0\nnot read\n')],
  ['menu.lua until the end of input', 'menu.lua', Buffer.from('1\nx')],
];

for (const [name, file, input] of CASES) {
  test(`--lua-exec ${name}: the client gets what lua5.4 prints`, async (t) => {
    const lua = requirePeer(t, 'lua5.4');
    if (lua === undefined) return;
    const script = join(SCRIPTS, file);
    const expected = await byLua(t, lua, script, input);
    assert.equal(expected.code, 0, expected.stderr);
    const got = await bySockcat(t, script, input);
    assert.equal(got.code, 0, got.stderr);
    // menu.lua greets NCAT_REMOTE_ADDR, which lua5.4 run by hand does not have.
    const want = expected.stdout.toString('latin1').replace('Hello stranger', 'Hello 127.0.0.1');
    assert.equal(got.received.toString('latin1'), want);
  });
}

test('a script that reads, writes and then fails: the same bytes, then one line on stderr', async (t) => {
  const lua = requirePeer(t, 'lua5.4');
  if (lua === undefined) return;
  const script = await scriptFile(
    t,
    'io.lua',
    [
      'print(os.getenv("SOCKCAT_LUA_TEST_UNSET"), 1.0, 2^63, math.maxinteger, 1/3, -0.0)',
      'io.write(1.0, " ", 3, " ", 1e100, "\\n")',
      'print(io.read("l", "L"))',
      'print(io.read(3, 0))',
      'local co = coroutine.wrap(function() while true do coroutine.yield(io.read(1)) end end)',
      'print(co(), co())',
      'print(io.read("n", "n", "l"))',
      'for line in io.lines() do io.write("[", line, "]\\n") end',
      'print(io.read("a"), io.read("a"), io.read(0), io.read("l"), io.read(5))',
      'print(pcall(io.write, nil))',
      'print(pcall(io.read, "x"))',
      'print(select(2, pcall(function() io.write({}) end)))',
      'print(io.stdout:close())',
      'print(io.type(io.stdout), io.type(42))',
      'error("it went wrong")',
    ].join('\n'),
  );
  const input = Buffer.from('line1\nline2\nabcde 0x1F -2.5e3 rest\n12junk\nlast');
  const expected = await byLua(t, lua, script, input);
  assert.equal(expected.code, 1);
  assert.match(expected.stderr, /io\.lua:15: it went wrong/);
  const got = await bySockcat(t, script, input);
  assert.equal(got.received.toString('latin1'), expected.stdout.toString('latin1'));
  const lines = got.stderr.split('\n').filter((line) => line.includes('--lua-exec'));
  assert.equal(lines.length, 1, got.stderr);
  assert.match(
    lines[0] as string,
    /^sockcat: --lua-exec "[^"]*io\.lua" failed for 127\.0\.0\.1:\d+: [^\n]*io\.lua:15: it went wrong$/,
  );
  assert.equal(got.code, 1);
});
