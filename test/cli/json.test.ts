// --json: NDJSON events on stderr or in a file, the same shape in every mode (docs/json-events.md).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { feedStdin, finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { refusedPort } from '../helpers/ports.js';

type Event = Record<string, unknown> & { event: string; v: number; time: string };

function parseEvents(text: string): Event[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);
}

function assertCommonFields(events: Event[]): void {
  for (const event of events) {
    assert.equal(event.v, 1, `schema version in ${JSON.stringify(event)}`);
    assert.ok(!Number.isNaN(Date.parse(event.time)), `time in ${JSON.stringify(event)}`);
  }
}

async function openPort(t: { after(fn: () => unknown): void }, onSocket = (_: unknown) => {}) {
  const server: Server = createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

test('listen mode: listening, accepted, closed with byte counts, in order', async (t) => {
  const child = spawnCli(['-l', '--json', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const done = finished(child);
  const match = await waitForLine(child.stderr!, /"event":"listening".*"port":(\d+)/);
  const client = await connect(`127.0.0.1:${match[1]}`);
  await client.send('hello');
  await client.shutdown('send');
  feedStdin(child, 'hi!');
  const { code, stdout, stderr } = await done;
  client.destroy();
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'hello');
  const events = parseEvents(stderr);
  assertCommonFields(events);
  assert.deepEqual(
    events.map((e) => e.event),
    ['listening', 'accepted', 'closed'],
  );
  const [listening, accepted, closed] = events as [Event, Event, Event];
  assert.deepEqual(listening.local, { address: '127.0.0.1', port: Number(match[1]) });
  assert.equal(listening.transport, 'tcp');
  assert.equal(accepted.id, 1);
  assert.equal((accepted.remote as { address: string }).address, '127.0.0.1');
  assert.equal(closed.id, 1);
  assert.equal(closed.received, 5);
  assert.ok(typeof closed.reason === 'string' && closed.reason.length > 0);
  assert.ok(typeof closed.durationMs === 'number');
});

test('connect mode: connected then closed; stdout keeps only the data', async (t) => {
  const port = await openPort(t, (socket) => {
    const s = socket as import('node:net').Socket;
    // Answer once stdin's bytes are in: connect mode stops sending at the peer's FIN (ncat 7.96).
    s.once('data', () => s.end('from server'));
    s.resume();
  });
  const { code, stdout, stderr } = await runCli(['--json', '127.0.0.1', String(port)], 'abc');
  assert.equal(code, 0);
  assert.equal(stdout.toString(), 'from server');
  const events = parseEvents(stderr);
  assertCommonFields(events);
  assert.deepEqual(
    events.map((e) => e.event),
    ['connected', 'closed'],
  );
  assert.deepEqual(events[0]!.remote, { address: '127.0.0.1', port });
  assert.equal(events[1]!.sent, 3);
  assert.equal(events[1]!.received, 11);
});

test('a failure ends with an error event carrying the code and exit status', async () => {
  const port = await refusedPort();
  const { code, stderr } = await runCli(['--json', '127.0.0.1', String(port)]);
  assert.equal(code, 1);
  // stderr is NDJSON only (`2>&1 | jq` parses it): the error event is the whole of it.
  assert.match(
    stderr,
    /^\{[^\n]*"message":"connect to 127\.0\.0\.1:\d+ failed: Connection refused"[^\n]*\}\n$/,
  );
  const events = parseEvents(stderr);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.event, 'error');
  assert.equal(events[0]!.code, 'SOCKCAT_REFUSED');
  assert.equal(events[0]!.exitStatus, 1);
});

test('--json=FILE appends events to the file, and stderr has none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sockcat-json-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'events.ndjson');
  const open = await openPort(t, (socket) => (socket as import('node:net').Socket).destroy());
  const closed = await refusedPort();
  for (let run = 0; run < 2; run++) {
    const result = await runCli([`--json=${file}`, '-z', '127.0.0.1', `${open},${closed}`]);
    assert.equal(result.code, 0);
    assert.deepEqual(parseEvents(result.stderr), []);
  }
  const events = parseEvents(await readFile(file, 'utf8'));
  assertCommonFields(events);
  // Two runs, each: two scan results and a summary.
  assert.equal(events.length, 6);
  const scans = events.filter((e) => e.event === 'scan');
  assert.deepEqual(
    scans
      .slice(0, 2)
      .map((e) => [e.port, e.state])
      .sort(),
    [
      [closed, 'closed'],
      [open, 'open'],
    ].sort(),
  );
  const summary = events.find((e) => e.event === 'scan-done')!;
  assert.deepEqual([summary.ports, summary.open, summary.closed], [2, 1, 1]);
});

test('-k: each client has its own id; a denied client is reported', async (t) => {
  const child = spawnCli(['-lk', '--json', '--deny', '127.0.0.2', '127.0.0.1', '0']);
  t.after(() => stop(child));
  const match = await waitForLine(child.stderr!, /"event":"listening".*"port":(\d+)/);
  const port = Number(match[1]);
  for (let index = 0; index < 2; index++) {
    const client = await connect(`127.0.0.1:${port}`);
    await client.send(`client ${index}`);
    await client.close();
  }
  // The refused client is reset at once: its connect may itself fail with the reset.
  const denied = await connect({ host: '127.0.0.1', port }, { localAddress: '127.0.0.2' }).catch(
    () => undefined,
  );
  t.after(() => denied?.destroy());
  await waitForLine(child.stderr!, /"event":"denied"/);
  const transcript = await waitForLine(child.stderr!, /("event":"closed"[\s\S]*){2}/);
  const events = parseEvents(transcript.input);
  assertCommonFields(events);
  const accepted = events.filter((e) => e.event === 'accepted').map((e) => e.id);
  assert.deepEqual(accepted, [1, 2]);
  const closedIds = events.filter((e) => e.event === 'closed').map((e) => e.id);
  assert.deepEqual(closedIds.sort(), [1, 2]);
  const deniedEvent = events.find((e) => e.event === 'denied')!;
  assert.equal((deniedEvent.remote as { address: string }).address, '127.0.0.2');
});

test('--json=FILE in a directory that does not exist: one line, exit 2', async () => {
  const { code, stderr } = await runCli(['--json=/nonexistent/dir/x.ndjson', '127.0.0.1', '1']);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^sockcat: cannot open --json file "\/nonexistent\/dir\/x\.ndjson": No such file or directory$/m,
  );
});

test('a session ended by an error is closed with its reason before the error event', async (t) => {
  const port = await openPort(t, (socket) => (socket as import('node:net').Socket).resume());
  const child = spawnCli(['--json', '-i', '200ms', '127.0.0.1', String(port)]);
  t.after(() => stop(child));
  // stdin stays open: only the idle timeout ends the session.
  const { code, stderr } = await finished(child);
  assert.equal(code, 1);
  const events = parseEvents(stderr);
  assert.deepEqual(
    events.map((e) => e.event),
    ['connected', 'closed', 'error'],
  );
  assert.equal(events[1]!.reason, 'idle-timeout');
  assert.equal(events[2]!.code, 'SOCKCAT_TIMEOUT');
});
