// splice(), the tunnel relay of the proxy servers, on both data paths: the addon's (two plain
// sockets, native/copy.ts) and JavaScript's (SOCKCAT_NO_NATIVE=1). Bytes, per-direction EOF,
// bytes held before the splice, and a reset taking both down.
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type SpliceDirection, splice } from '../../src/proxy/splice.js';
import { sha256 } from '../helpers/hash.js';

/** A connected pair of sockets over loopback: [ours, theirs]. */
async function socketPair(t: TestContext): Promise<[Socket, Socket]> {
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const outside = new Socket({ allowHalfOpen: true });
  outside.connect((server.address() as { port: number }).port, '127.0.0.1');
  const [inside] = (await accepted) as [Socket];
  await once(outside, 'connect');
  server.close();
  t.after(() => {
    inside.destroy();
    outside.destroy();
  });
  return [inside, outside];
}

function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return once(socket, 'end').then(() => Buffer.concat(chunks));
}

for (const path of ['native', 'js'] as const) {
  test(`[${path}] splice: 8 MiB each way, each FIN passed on, held bytes first`, async (t) => {
    if (path === 'js') {
      process.env['SOCKCAT_NO_NATIVE'] = '1';
      t.after(() => delete process.env['SOCKCAT_NO_NATIVE']);
    }
    const [clientSide, client] = await socketPair(t);
    const [upstreamSide, upstream] = await socketPair(t);
    // Bytes that arrived with a handshake: already read, given back to the stream.
    clientSide.unshift(Buffer.from('held:'));
    const up = randomFillSync(Buffer.alloc(8 * 1024 * 1024));
    const down = randomFillSync(Buffer.alloc(8 * 1024 * 1024 + 7));
    const atUpstream = collect(upstream);
    const atClient = collect(client);
    const paths: string[] = [];
    const progress = { aToB: 0, bToA: 0 };
    const spliced = splice(clientSide, upstreamSide, {
      onDataPath: (p) => paths.push(p),
      onProgress: (aToB, bToA) => {
        progress.aToB += aToB;
        progress.bToA += bToA;
      },
    });
    client.end(up);
    // The client's FIN reaches the upstream, which still answers: half-close in both orders.
    assert.equal(sha256(await atUpstream), sha256(Buffer.concat([Buffer.from('held:'), up])));
    upstream.end(down);
    assert.equal(sha256(await atClient), sha256(down));
    const result = await spliced;
    assert.equal(result.aToB, up.length + 5);
    assert.equal(result.bToA, down.length);
    assert.equal(result.native !== undefined, path === 'native');
    // A counter, not a tap: told of every byte on both paths.
    assert.deepEqual(progress, { aToB: result.aToB, bToA: result.bToA });
    assert.equal(paths.length, 1);
    assert.match(
      paths[0]!,
      path === 'native' ? /^native: both ways by [\w-]+$/ : /^JavaScript \(SOCKCAT_NO_NATIVE=1\)$/,
    );
  });

  test(`[${path}] splice: a reset on one side destroys the other`, async (t) => {
    if (path === 'js') {
      process.env['SOCKCAT_NO_NATIVE'] = '1';
      t.after(() => delete process.env['SOCKCAT_NO_NATIVE']);
    }
    const [clientSide, client] = await socketPair(t);
    const [upstreamSide, upstream] = await socketPair(t);
    upstream.on('error', () => {});
    // The upstream sees its connection end (FIN or reset) once the client's reset tore it down.
    const gone = new Promise((resolve) => {
      upstream.once('end', resolve);
      upstream.once('close', resolve);
    });
    const spliced = splice(clientSide, upstreamSide);
    client.write('x');
    await once(upstream, 'data');
    client.resetAndDestroy();
    await spliced;
    await gone;
    assert.equal(upstreamSide.destroyed && clientSide.destroyed, true);
  });
}

test('splice with a tap: every chunk both ways, in order, through JavaScript even with the addon', async (t) => {
  const [clientSide, client] = await socketPair(t);
  const [upstreamSide, upstream] = await socketPair(t);
  clientSide.unshift(Buffer.from('held:'));
  const seen: Record<SpliceDirection, Buffer[]> = { aToB: [], bToA: [] };
  const paths: string[] = [];
  const spliced = splice(clientSide, upstreamSide, {
    tap: (direction, chunk) => seen[direction].push(Buffer.from(chunk)),
    onDataPath: (p) => paths.push(p),
  });
  const up = randomFillSync(Buffer.alloc(2 * 1024 * 1024));
  const down = randomFillSync(Buffer.alloc(2 * 1024 * 1024 + 3));
  const atUpstream = collect(upstream);
  const atClient = collect(client);
  client.end(up);
  upstream.end(down);
  const sent = Buffer.concat([Buffer.from('held:'), up]);
  assert.equal(sha256(await atUpstream), sha256(sent));
  assert.equal(sha256(await atClient), sha256(down));
  const result = await spliced;
  assert.equal(result.native, undefined);
  assert.deepEqual(paths, ['JavaScript (a tap sees the bytes)']);
  assert.equal(sha256(Buffer.concat(seen.aToB)), sha256(sent));
  assert.equal(sha256(Buffer.concat(seen.bToA)), sha256(down));
  assert.equal(result.aToB, sent.length);
  assert.equal(result.bToA, down.length);
});
