// ncat 7.93 and sockcat run side by side the same way: what the peer received, what was printed on
// stdout and the exit status must be the same, and as expected. (stderr wording differs on
// purpose; exit statuses are the contract: 0 ok, 1 network error, 2 anything else.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { feedStdin, finished, stop } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { BIN } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const LOOPBACK = '127.0.0.1';

// Listens on loopback, reads until EOF, echoes it all back, closes; prints what it got on stdout.
const PYTHON_ECHO_AFTER_EOF = `
import socket, sys
server = socket.create_server(('127.0.0.1', 0))
print(f'listening on {server.getsockname()[1]}', file=sys.stderr, flush=True)
sock, _ = server.accept()
server.close()
data = b''
while chunk := sock.recv(65536):
    data += chunk
sock.sendall(data)
sock.close()
sys.stdout.buffer.write(data)
`;

/** ncat or sockcat, as a command line. */
interface Tool {
  name: string;
  command: string;
  /** Arguments before the ncat ones (the script, for sockcat). */
  prefix: string[];
}

/** What is compared between the two. */
interface Outcome {
  code: number | null;
  stdout: string;
  /** What the peer received, where there is a peer. */
  peerReceived?: string;
}

/** Both tools, or undefined when ncat is missing (the test is then skipped). */
function bothTools(t: TestContext): Tool[] | undefined {
  const ncat = requirePeer(t, 'ncat');
  if (ncat === undefined) return undefined;
  return [
    { name: 'ncat', command: ncat, prefix: [] },
    { name: 'sockcat', command: process.execPath, prefix: [BIN] },
  ];
}

/** Run one tool to completion with `input` on stdin; the child is killed if the test ends first. */
async function runTool(t: TestContext, tool: Tool, args: string[], input: string) {
  const child = spawn(tool.command, [...tool.prefix, ...args], { stdio: 'pipe' });
  t.after(() => stop(child));
  const done = finished(child);
  feedStdin(child, input);
  return done;
}

/**
 * Run `scenario` with ncat then with sockcat; both outcomes must equal `expected`. The ncat
 * assertion pins the reference: if it fails, the scenario is wrong, not sockcat.
 */
async function sideBySide(
  t: TestContext,
  expected: Outcome,
  scenario: (tool: Tool) => Promise<Outcome & { stderr: string }>,
): Promise<void> {
  const tools = bothTools(t);
  if (tools === undefined) return;
  for (const tool of tools) {
    const { stderr, ...outcome } = await scenario(tool);
    assert.deepEqual(outcome, expected, `${tool.name}, stderr: ${stderr}`);
  }
}

describe('ncat 7.93 parity: basic', () => {
  test('connect, stdin "abc" then EOF, the peer echoes after EOF: prints it, exit 0', async (t) => {
    const python = requirePeer(t, 'python3');
    if (python === undefined) return;
    await sideBySide(t, { code: 0, stdout: 'abc', peerReceived: 'abc' }, async (tool) => {
      const peer = await startListeningPeer(t, {
        command: python,
        args: ['-c', PYTHON_ECHO_AFTER_EOF],
        ready: /listening on (\d+)/,
        reportsPort: true,
      });
      const peerDone = finished(peer.child);
      const result = await runTool(t, tool, [LOOPBACK, String(peer.port)], 'abc');
      const fromPeer = await peerDone;
      assert.equal(fromPeer.code, 0, fromPeer.stderr);
      return {
        code: result.code,
        stdout: result.stdout.toString(),
        peerReceived: fromPeer.stdout.toString(),
        stderr: result.stderr,
      };
    });
  });

  test('connect to a refused port: exit 1', async (t) => {
    // A port whose listener was just closed.
    const port = await freePort();
    await sideBySide(t, { code: 1, stdout: '' }, async (tool) => {
      const { code, stdout, stderr } = await runTool(t, tool, [LOOPBACK, String(port)], '');
      return { code, stdout: stdout.toString(), stderr };
    });
  });

  for (const [title, args] of [
    ['unresolvable host', ['nonexistent.invalid', '80']],
    ['port 70000', [LOOPBACK, '70000']],
    ['unknown option', ['--bogus', LOOPBACK, '80']],
  ] as const) {
    test(`${title}: exit 2`, async (t) => {
      await sideBySide(t, { code: 2, stdout: '' }, async (tool) => {
        const { code, stdout, stderr } = await runTool(t, tool, [...args], '');
        return { code, stdout: stdout.toString(), stderr };
      });
    });
  }

  test('listen, the client sends data then closes: prints it, exit 0', async (t) => {
    const message = 'hello from the client\n';
    await sideBySide(t, { code: 0, stdout: message, peerReceived: '' }, async (tool) => {
      // ncat 7.93 does not tell the port it got for port 0: for both, it is read from /proc.
      const listener = await startListeningPeer(t, {
        command: tool.command,
        args: [...tool.prefix, '-lv', LOOPBACK, '0'],
        ready: /Listening on 127\.0\.0\.1:\d+/,
        reportsPort: false,
      });
      // The listener's stdin stays open: it ends because the client closed.
      const done = finished(listener.child);
      const client = connect(listener.port, LOOPBACK);
      t.after(() => client.destroy());
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      await once(client, 'connect');
      client.end(message);
      const [{ code, stdout }] = await Promise.all([done, once(client, 'close')]);
      return {
        code,
        stdout: stdout.toString(),
        peerReceived: Buffer.concat(received).toString(),
        stderr: listener.stderr(),
      };
    });
  });
});
