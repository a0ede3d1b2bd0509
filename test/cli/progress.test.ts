// --progress: the pure formatter, the meter with a fake clock, and the CLI with stderr on a
// pseudo-terminal (the meter appears) or on a pipe (nothing extra is printed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import {
  createProgressMeter,
  formatBytes,
  formatElapsed,
  formatProgress,
  formatRate,
  progressMeterFor,
} from '../../src/cli/progress.js';
import { connect } from '../../src/transports/tcp-connect.js';
import { listen } from '../../src/transports/tcp-listen.js';
import { finished, runCli, stop, waitForLine } from '../helpers/child.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

test('formatBytes: bytes below 1 KiB, then binary units with one decimal', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12.3 * 1024 * 1024), '12.3 MiB');
  assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB', 'never "1024.0 KiB"');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(formatBytes(2 * 1024 ** 6), '2048.0 PiB');
});

test('formatRate and formatElapsed', () => {
  assert.equal(formatRate(45.6 * 1024 * 1024), '45.6 MiB/s');
  assert.equal(formatRate(Number.NaN), '0 B/s');
  assert.equal(formatElapsed(0), '0:00');
  assert.equal(formatElapsed(5_999), '0:05');
  assert.equal(formatElapsed(754_000), '12:34');
  assert.equal(formatElapsed(3_723_000), '1:02:03');
});

test('formatProgress: one line, two spaces between fields', () => {
  assert.equal(
    formatProgress({
      sent: 12.3 * 1024 * 1024,
      received: 45.6 * 1024 * 1024,
      rate: 45.6 * 1024 * 1024,
      elapsedMs: 5_000,
    }),
    'sent 12.3 MiB  received 45.6 MiB  45.6 MiB/s  0:05',
  );
});

function collector(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  Object.assign(stream, { isTTY });
  return { stream, text: () => chunks.join('') };
}

test('the meter redraws in place with \\r each interval and ends with the average and \\n', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let clock = 0;
  const { stream, text } = collector(true);
  const meter = createProgressMeter(stream, { intervalMs: 250, now: () => clock });
  meter.sent(1024 * 1024);
  clock = 250;
  t.mock.timers.tick(250);
  assert.equal(text(), '\rsent 1.0 MiB  received 0 B  4.0 MiB/s  0:00');
  meter.received(512);
  clock = 500;
  t.mock.timers.tick(250);
  // The last interval's rate: 512 B in 250 ms.
  assert.equal(text().split('\r')[2], 'sent 1.0 MiB  received 512 B  2.0 KiB/s  0:00');
  clock = 1000;
  meter.finish();
  meter.finish();
  const last = text().split('\r').at(-1);
  assert.equal(last, 'sent 1.0 MiB  received 512 B  1.0 MiB/s  0:01\n');
  t.mock.timers.tick(1000);
  assert.ok(text().endsWith('\n'), 'nothing drawn after finish()');
});

test('no meter unless asked for and stderr is a terminal', () => {
  assert.equal(progressMeterFor(false, collector(true).stream), undefined);
  assert.equal(progressMeterFor(true, collector(false).stream), undefined);
  const meter = progressMeterFor(true, collector(true).stream);
  assert.ok(meter);
  meter.finish();
});

// Runs argv with stderr on a pseudo-terminal (stdin and stdout stay the caller's pipes), then
// writes everything the terminal showed to its own stderr and exits with the child's status.
const WITH_PTY_STDERR = `
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stderr=slave)
os.close(slave)
shown = b''
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    shown += data
sys.stderr.buffer.write(shown)
sys.exit(child.wait())
`;

const PAYLOAD = Buffer.alloc(3 * 1024 * 1024, 0x61);

async function sinkServer() {
  const listener = await listen('127.0.0.1:0');
  const received = (async () => {
    const tube = await listener.accept();
    await listener.close();
    const all = await tube.recvAll();
    await tube.close();
    return all.length;
  })();
  return { listener, port: listener.address().port, received };
}

test('--progress with stderr on a terminal: the meter ends with the totals', async (t) => {
  const python = requirePeer(t, 'python3');
  if (python === undefined) return;
  const { listener, port, received } = await sinkServer();
  t.after(() => listener.close());
  const child = spawn(python, [
    '-c',
    WITH_PTY_STDERR,
    process.execPath,
    BIN,
    '--progress',
    '127.0.0.1',
    String(port),
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  child.stdin.end(PAYLOAD);
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await received, PAYLOAD.length);
  // The terminal turns \n into \r\n.
  assert.match(
    result.stderr,
    /^(\r[^\r\n]*)*\rsent 3\.0 MiB {2}received 0 B {2}\S+ \S+\/s {2}0:\d\d *\r\n$/,
  );
});

test('--progress with stderr not a terminal: nothing extra is printed', async () => {
  const { listener, port, received } = await sinkServer();
  try {
    const result = await runCli(['--progress', '127.0.0.1', String(port)], PAYLOAD);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    assert.equal(await received, PAYLOAD.length);
  } finally {
    await listener.close();
  }
});

// As WITH_PTY_STDERR, but what the terminal shows is passed on as it comes (to read the port).
const WITH_LIVE_PTY_STDERR = WITH_PTY_STDERR.replace(
  '    shown += data',
  '    sys.stderr.buffer.write(data); sys.stderr.flush()',
).replace('sys.stderr.buffer.write(shown)\n', '');

test('--progress with --forward: every client byte counted, on the native path too', async (t) => {
  const python = requirePeer(t, 'python3');
  if (python === undefined) return;
  const target = await listen('127.0.0.1:0');
  t.after(() => target.close());
  const child = spawn(python, [
    '-c',
    WITH_LIVE_PTY_STDERR,
    process.execPath,
    BIN,
    '-v',
    '--progress',
    '-l',
    '--forward',
    `127.0.0.1:${target.address().port}`,
    '127.0.0.1',
    '0',
  ]);
  t.after(() => stop(child));
  const done = finished(child);
  const [, port] = await waitForLine(child.stderr, /Listening on 127\.0\.0\.1:(\d+)/);
  const client = await connect(`127.0.0.1:${port}`);
  t.after(() => client.destroy());
  const upstream = await target.accept();
  await client.send(PAYLOAD);
  await client.shutdown('send');
  assert.equal((await upstream.recvAll()).length, PAYLOAD.length);
  await upstream.send('ok');
  await upstream.close();
  assert.equal((await client.recvAll()).toString(), 'ok');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Data path: native: both ways by [\w-]+\./);
  assert.match(result.stderr, /\rsent 2 B {2}received 3\.0 MiB {2}\S+ \S+\/s {2}0:\d\d *\r\n/);
});
