// --json's `closed` event when a session fails midway (the peer resets it): its byte counts are
// what was really written to each side, on the native data path (the addon's copies move the
// bytes where the tube never counts them) and on the JavaScript path.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';

/** Reset after this much has arrived: well inside a transfer, well past the first chunk. */
const RESET_AFTER = 256 * 1024;
const TOTAL = 8 * 1024 * 1024;

type Event = Record<string, unknown> & { event: string };

function closedEvent(stderr: string): Event {
  const events = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);
  const closed = events.find((event) => event.event === 'closed');
  assert.ok(closed, `no closed event in:\n${stderr}`);
  return closed;
}

const PATHS = [
  { name: 'native', env: {}, dataPath: /native: socket to stdout/ },
  { name: 'JavaScript', env: { SOCKCAT_NO_NATIVE: '1' }, dataPath: /Data path: JavaScript/ },
] as const;

for (const path of PATHS) {
  test(`${path.name} path: a reset while receiving, received = the bytes written to stdout`, async (t) => {
    const env = { ...process.env, ...path.env };
    const child = spawnCli(['-lv', '--recv-only', '--json', '127.0.0.1', '0'], { env });
    t.after(() => stop(child));
    let written = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      written += chunk.length;
    });
    const done = finished(child);
    const [, port] = await waitForLine(child.stderr!, /"event":"listening".*"port":(\d+)/);
    const client: Socket = netConnect(Number(port), '127.0.0.1');
    t.after(() => client.destroy());
    client.on('error', () => {});
    await once(client, 'connect');
    client.write(Buffer.alloc(TOTAL, 'r'));
    await new Promise<void>((resolve) => {
      const check = () => {
        if (written < RESET_AFTER) return;
        child.stdout!.off('data', check);
        resolve();
      };
      child.stdout!.on('data', check);
    });
    client.resetAndDestroy();
    const result = await done;
    assert.match(result.stderr, path.dataPath);
    const closed = closedEvent(result.stderr);
    // Linux reports a reset once (the socket's pending error); read after that, the socket is at
    // end of file: which of the two the receiver sees depends on who read first. The counts
    // must be exact either way.
    assert.ok(['reset', 'peer-eof'].includes(closed.reason as string), result.stderr);
    assert.equal(result.code === 0, closed.reason === 'peer-eof', result.stderr);
    assert.equal(closed.received, written, 'received counts every byte written to stdout');
    assert.equal(closed.sent, 0);
  });

  test(`${path.name} path: a reset while sending, sent covers what the peer read`, async (t) => {
    const env = { ...process.env, ...path.env };
    let peerRead = 0;
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        peerRead += chunk.length;
        if (peerRead >= RESET_AFTER && !socket.destroyed) socket.resetAndDestroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const { port } = server.address() as { port: number };
    const child = spawnCli(['-v', '--json', '127.0.0.1', String(port)], { env });
    t.after(() => stop(child));
    const done = finished(child);
    child.stdin!.on('error', () => {});
    child.stdin!.end(Buffer.alloc(TOTAL, 's'));
    const result = await done;
    assert.match(result.stderr, path.name === 'native' ? /native: stdin to socket/ : path.dataPath);
    const closed = closedEvent(result.stderr);
    // The reset fails the send; the receiving side may see it first, or see end of file (which
    // ends a connect-mode session at once): the counts must be right either way.
    assert.ok(['reset', 'peer-eof'].includes(closed.reason as string), result.stderr);
    assert.equal(result.code === 0, closed.reason === 'peer-eof', result.stderr);
    // What reached the peer was written by sockcat; what sockcat wrote came from stdin. (Bytes in
    // flight when the reset came are written but never read, so this is a range, not one figure.)
    assert.ok(
      (closed.sent as number) >= peerRead,
      `sent ${closed.sent} >= ${peerRead} read by the peer`,
    );
    assert.ok((closed.sent as number) <= TOTAL, `sent ${closed.sent} <= ${TOTAL}`);
    assert.equal(closed.received, 0);
  });
}
