// -k: many clients, stdin to all of them, everything they send to stdout; -m limits them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../src/transports/tcp-connect.js';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';

async function startKeepOpen(args: string[] = []) {
  const child = spawnCli(['-lkv', ...args, '127.0.0.1', '0']);
  const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
  return { child, port: Number(match[1]) };
}

test('-k: stdin goes to every client; each client reaches stdout; stdin EOF sends FIN to all', async (t) => {
  const { child, port } = await startKeepOpen();
  t.after(() => stop(child));
  const a = await connect(`127.0.0.1:${port}`);
  const b = await connect(`127.0.0.1:${port}`);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitForLine(child.stderr!, /Connection from[^\n]*\n[^\n]*Connection from/);
  child.stdin!.write('to all\n');
  assert.equal((await a.recvLine()).toString(), 'to all\n');
  assert.equal((await b.recvLine()).toString(), 'to all\n');
  await a.sendLine('from a');
  await waitForLine(child.stdout!, /from a\n/);
  await a.shutdown('send');
  // a is gone; b still works.
  await b.sendLine('from b');
  await waitForLine(child.stdout!, /from b\n/);
  child.stdin!.end();
  assert.equal((await b.recvAll()).length, 0, 'FIN after stdin EOF');
  // Still accepting after stdin EOF.
  const c = await connect(`127.0.0.1:${port}`);
  await c.sendLine('from c');
  await waitForLine(child.stdout!, /from c\n/);
  c.destroy();
  const done = finished(child);
  child.kill('SIGTERM');
  assert.equal((await done).code, 143);
});

test("-m: connections beyond the limit are closed at once, with ncat's line and a denied event", async (t) => {
  const { child, port } = await startKeepOpen(['-m', '1', '--json']);
  t.after(() => stop(child));
  const first = await connect(`127.0.0.1:${port}`);
  await waitForLine(child.stderr!, /"event":"accepted"/);
  const second = await connect(`127.0.0.1:${port}`);
  assert.equal((await second.recvAll()).length, 0);
  // ncat 7.93 -l -k -m 1 -v: "Ncat: New connection denied: connection limit reached (1)".
  await waitForLine(child.stderr!, /New connection denied: connection limit reached \(1\)/);
  await waitForLine(child.stderr!, /"event":"denied"[^\n]*"reason":"max-conns"/);
  child.stdin!.write('only first\n');
  assert.equal((await first.recvLine()).toString(), 'only first\n');
  // The first client's end frees its place: a third is served.
  first.destroy();
  second.destroy();
  await waitForLine(child.stderr!, /"event":"closed"/);
  const third = await connect(`127.0.0.1:${port}`);
  t.after(() => third.destroy());
  await third.sendLine('third');
  await waitForLine(child.stdout!, /third\n/);
});

test('-k in connect mode is refused where it means nothing; -m takes a positive whole number', async () => {
  const { runCli } = await import('../helpers/child.js');
  // In connect mode -k is the half-open session (test/cli/eof.test.ts); a datagram has no EOF.
  const noEof = await runCli(['-k', '-u', '127.0.0.1', '1']);
  assert.equal(noEof.code, 2);
  assert.match(
    noEof.stderr,
    /-k in connect mode keeps sending stdin after the peer's end of file; it cannot be used with -u/,
  );
  const badM = await runCli(['-l', '-m', '0', '1']);
  assert.equal(badM.code, 2);
  assert.match(badM.stderr, /invalid -m max connections "0"/);
});
