// The course's greeting server, tested the way the course tests it: with real clients. Each test
// starts the server on port 0, connects one client that sends "hello\n", and checks what each side
// printed and how each exited.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { feedStdin, finished, stop, waitForLine } from '../helpers/child.js';
import { EXAMPLES } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

const GREETING = Buffer.from('你好客户端\n\r', 'utf8');
const SERVER = join(EXAMPLES, 'greeting-server.js');

// Connects to [argv[1]]:argv[2], tells its own port on stderr, sends hello, prints the reply.
const PYTHON_CLIENT = `
import socket, sys
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print(f'client port {sock.getsockname()[1]}', file=sys.stderr, flush=True)
sock.sendall(b'hello\\n')
while chunk := sock.recv(4096):
    sys.stdout.buffer.write(chunk)
sock.close()
`;

interface Client {
  name: string;
  command: string;
  args(port: number): string[];
  /** The line the server prints for this client. */
  connected: RegExp;
}

const CLIENTS: Client[] = [
  // printf 'hello\n' | nc.openbsd 127.0.0.1 PORT
  {
    name: 'nc.openbsd',
    command: 'nc.openbsd',
    args: (port) => ['127.0.0.1', String(port)],
    connected: /^client connected 127\.0\.0\.1:(\d+)$/,
  },
  {
    name: 'ncat',
    command: 'ncat',
    args: (port) => ['127.0.0.1', String(port)],
    connected: /^client connected 127\.0\.0\.1:(\d+)$/,
  },
  // The server binds every interface, IPv6 included.
  {
    name: 'python3 over IPv6 ::1',
    command: 'python3',
    args: (port) => ['-c', PYTHON_CLIENT, '::1', String(port)],
    connected: /^client connected \[::1\]:(\d+)$/,
  },
];

async function startServer(t: TestContext) {
  const server = spawn(process.execPath, [SERVER, '--port', '0'], { stdio: 'pipe' });
  t.after(() => stop(server));
  const done = finished(server);
  const [, port] = await waitForLine(
    server.stdout!,
    /^greeting server listening on port (\d+) \(all interfaces\)$/m,
  );
  return { port: Number(port), done };
}

describe('greeting server with real clients', () => {
  for (const client of CLIENTS) {
    test(client.name, { timeout: 30_000 }, async (t) => {
      const path = requirePeer(t, client.command);
      if (path === undefined) return;
      const server = await startServer(t);

      const child = spawn(path, client.args(server.port), { stdio: 'pipe' });
      t.after(() => stop(child));
      const reply = finished(child);
      feedStdin(child, 'hello\n');

      const [fromClient, fromServer] = await Promise.all([reply, server.done]);
      assert.deepEqual(fromClient.stdout, GREETING, `client stderr: ${fromClient.stderr}`);
      assert.equal(fromClient.code, 0, `client stderr: ${fromClient.stderr}`);

      const lines = fromServer.stdout.toString().split('\n');
      assert.deepEqual(lines.slice(0, 2), [
        `greeting server listening on port ${server.port} (all interfaces)`,
        `connect with:  nc 127.0.0.1 ${server.port}   or   sockcat 127.0.0.1 ${server.port}`,
      ]);
      const connected = client.connected.exec(lines[2] ?? '');
      assert.ok(connected, `"client connected" line: ${JSON.stringify(lines[2])}`);
      // What the client sent, then console.log's own newline.
      assert.deepEqual(lines.slice(3), ['hello', '', '']);
      assert.equal(fromServer.stderr, '');
      assert.equal(fromServer.code, 0);

      // python3 tells its source port: the server must name exactly that one.
      const sourcePort = /client port (\d+)/.exec(fromClient.stderr)?.[1];
      if (sourcePort !== undefined) {
        assert.equal(connected[1], sourcePort);
      }
    });
  }
});
