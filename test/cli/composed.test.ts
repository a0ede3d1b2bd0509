// Options that some modes used to accept and then ignore, now honoured by the layer that owns
// them: -t and --progress with --broker, -q with -l -k, warnings and refusals printed before
// anything is opened, and -z leaving its -o file alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TelnetCommand } from '../../src/relay/telnet.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

const { IAC, DO, WILL, WONT, DONT } = TelnetCommand;

test('--broker -t: a negotiating client gets refusals, and the others get its data without the commands', async (t) => {
  const child = spawnCli(['-v', '--broker', '-t', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const a = await connect(`127.0.0.1:${port}`);
  const b = await connect(`127.0.0.1:${port}`);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitForLine(child.stderr!, /(?:Connection from[\s\S]*){2}/);
  await a.send(Buffer.concat([Buffer.from([IAC, DO, 24, IAC, WILL, 1]), Buffer.from('hi\n')]));
  assert.deepEqual(await a.recvExactly(6), Buffer.from([IAC, WONT, 24, IAC, DONT, 1]));
  assert.equal((await b.recvLine()).toString(), 'hi\n');
});

test('-l -k -q: the server ends that long after stdin EOF, with status 0', async (t) => {
  const child = spawnCli(['-v', '-l', '-k', '-q', '0', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const done = finished(child);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const a = await connect(`127.0.0.1:${port}`);
  t.after(() => a.destroy());
  await waitForLine(child.stderr!, /Connection from/);
  child.stdin!.end('bye\n');
  assert.equal((await a.recvLine()).toString(), 'bye\n');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
});

// stderr on a pseudo-terminal, passed through as it comes (the port is read from it).
const PTY_STDERR = `
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stderr=slave)
os.close(slave)
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stderr.buffer.write(data)
    sys.stderr.buffer.flush()
sys.exit(child.wait())
`;

test('--broker --progress with stderr on a terminal: the meter counts every client and stdin', async (t) => {
  const python = requirePeer(t, 'python3');
  if (python === undefined) return;
  const args = [BIN, '-v', '--broker', '--progress', '-q', '0', '127.0.0.1', '0'];
  const child = spawn(python, ['-c', PTY_STDERR, process.execPath, ...args]);
  t.after(() => stop(child));
  const done = finished(child);
  const port = Number((await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const a = await connect(`127.0.0.1:${port}`);
  const b = await connect(`127.0.0.1:${port}`);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitForLine(child.stderr!, /(?:Connection from[\s\S]*){2}/);
  await a.send(Buffer.alloc(1000, 0x61));
  assert.equal((await b.recvExactly(1000)).length, 1000);
  child.stdin.end('hello\n');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  // 1000 bytes to b, 6 to each of a and b; 1000 from a.
  assert.match(result.stderr, /\rsent 1012 B {2}received 1000 B {2}/);
});

test('-z -o: the log is left as it was (nothing is dumped), with a warning naming -o', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  writeFileSync(log, 'kept\n');
  const listener = await listen('127.0.0.1:0');
  t.after(() => listener.close());
  const result = await runCli(['-z', '-o', log, '127.0.0.1', String(listener.address().port)]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    'sockcat: warning: -o, --output has no effect with -z (-z has no session data to dump); ignored\n',
  );
  assert.equal(readFileSync(log, 'utf8'), 'kept\n');
});

test('a refused combination exits 2 with one line before anything listens or is written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  writeFileSync(log, 'kept\n');
  const result = await runCli([
    '-l',
    '--proxy-type',
    'http',
    '-t',
    `--json=${log}`,
    '127.0.0.1',
    '0',
  ]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'sockcat: -t, --telnet cannot be used with -l --proxy-type http: a proxy server speaks HTTP or SOCKS, not Telnet (as ncat)\n',
  );
  assert.equal(readFileSync(log, 'utf8'), 'kept\n');
});
