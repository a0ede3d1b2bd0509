// The course's HTTP client against a local fake web server on port 0: the request it sends, the
// reply it prints, and the one-line errors it exits with.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { type Finished, feedStdin, finished, stop } from '../helpers/child.js';
import { EXAMPLES } from '../helpers/paths.js';
import { refusedPort } from '../helpers/ports.js';

const HTTP_GET = join(EXAMPLES, 'http-get.js');
const REPLY = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n',
);
const END_OF_HEADERS = '\r\n\r\n';
const STACK_FRAME = '    at ';

/**
 * A one-shot web server on loopback port 0: reads one request up to the blank line, replies with
 * `reply` in a single write and closes. `request` resolves with the bytes it received.
 */
async function fakeWebServer(t: TestContext, reply: Buffer) {
  const server = createServer();
  let received = Buffer.alloc(0);
  const request = new Promise<Buffer>((resolve, reject) => {
    server.once('connection', (socket: Socket) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.includes(END_OF_HEADERS)) {
          socket.end(reply);
          resolve(received);
        }
      });
      socket.on('end', () =>
        reject(new Error(`client ended after ${JSON.stringify(received.toString())}`)),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { port: address.port, request };
}

function httpGet(t: TestContext, args: string[]): Promise<Finished> {
  const child = spawn(process.execPath, [HTTP_GET, ...args], { stdio: 'pipe' });
  t.after(() => stop(child));
  feedStdin(child, '');
  return finished(child);
}

describe('http-get example', () => {
  test('sends a bare request line and prints the reply', async (t) => {
    const server = await fakeWebServer(t, REPLY);
    const result = await httpGet(t, ['127.0.0.1', String(server.port)]);
    assert.equal((await server.request).toString(), 'GET / HTTP/1.1\r\n\r\n');
    assert.deepEqual(result.stdout, REPLY);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });

  test('--host adds a Host header', async (t) => {
    const server = await fakeWebServer(t, REPLY);
    const result = await httpGet(t, ['127.0.0.1', String(server.port), '--host', 'example.test']);
    assert.equal((await server.request).toString(), 'GET / HTTP/1.1\r\nHost: example.test\r\n\r\n');
    assert.deepEqual(result.stdout, REPLY);
    assert.equal(result.code, 0);
  });

  test('prints at most 4096 bytes of a longer reply', async (t) => {
    const long = Buffer.concat([REPLY, Buffer.alloc(10_000, 'x')]);
    const server = await fakeWebServer(t, long);
    const result = await httpGet(t, ['127.0.0.1', String(server.port)]);
    await server.request;
    // One receive of up to 4096 bytes: however the bytes were split, a prefix of the reply.
    assert.ok(
      result.stdout.length > 0 && result.stdout.length <= 4096,
      `${result.stdout.length} bytes`,
    );
    assert.deepEqual(result.stdout, long.subarray(0, result.stdout.length));
    assert.equal(result.code, 0);
  });

  test('an unresolvable host is one clear line and exit 1', async (t) => {
    const result = await httpGet(t, ['nonexistent.invalid']);
    assert.match(
      result.stderr,
      /^http-get: host cannot be resolved: "nonexistent\.invalid" \(.+\)\n$/,
    );
    assert.equal(result.stdout.length, 0);
    assert.equal(result.code, 1);
  });

  test('a refused connection is one clear line and exit 1', async (t) => {
    // A port whose listener was just closed: nothing listens there.
    const port = await refusedPort();
    const result = await httpGet(t, ['127.0.0.1', String(port)]);
    assert.equal(
      result.stderr,
      `http-get: connect to 127.0.0.1:${port} failed: Connection refused\n`,
    );
    assert.ok(!result.stderr.includes(STACK_FRAME), 'no stack trace');
    assert.equal(result.stdout.length, 0);
    assert.equal(result.code, 1);
  });
});
