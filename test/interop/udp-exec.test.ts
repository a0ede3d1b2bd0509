// -u with -e/-c: a child for the UDP peer, in connect mode, for the first sender of -l, and for
// each peer of -l -k, as ncat 7.93 runs them. Checked against ncat as the peer, side by side
// with ncat's own -u -l -k -e (the same clients, the same transcripts), and with node:dgram.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { type TestContext, test } from 'node:test';
import { finished, runCli, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { startListeningPeer } from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';
import { udpPeer, udpPortToBindLater } from '../helpers/udp-peer.js';

test('sockcat -u -c HOST PORT: the child talks with the peer; NCAT_PROTO is UDP', async (t) => {
  const peer = await udpPeer(t);
  const env = await runCli([
    '-u',
    '-c',
    'echo "$NCAT_PROTO $SOCKCAT_PROTO $NCAT_REMOTE_PORT"',
    '127.0.0.1',
    String(peer.port),
  ]);
  assert.equal(env.code, 0, env.stderr);
  const first = await peer.next();
  assert.equal(first.data.toString(), `UDP UDP ${peer.port}\n`);
  // UDP has no handshake: the child speaks first, so that the peer learns where to answer.
  const greeter = spawnCli(['-u', '-c', 'echo ready; exec cat', '127.0.0.1', String(peer.port)]);
  t.after(() => stop(greeter));
  const ready = await peer.next();
  assert.equal(ready.data.toString(), 'ready\n');
  await peer.send('ping\n', ready.from.port);
  const echoed = await peer.next();
  assert.equal(echoed.data.toString(), 'ping\n');
  assert.equal(echoed.from.port, ready.from.port);
});

test('ncat -u client to sockcat -u -l -e /bin/cat: its datagrams come back from the child', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  const server = spawnCli(['-v', '-u', '-l', '-e', '/bin/cat', '127.0.0.1', '0']);
  t.after(() => stop(server));
  const port = (await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]!;
  const client = spawn(ncat, ['-u', '127.0.0.1', port]);
  t.after(() => stop(client));
  client.stdin.write('first\n');
  await waitForLine(client.stdout, /first\n/);
  client.stdin.write('second\n');
  await waitForLine(client.stdout, /first\nsecond\n/);
  await waitForLine(server.stderr!, /Connection from 127\.0\.0\.1:\d+\./);
});

test('sockcat -u -l -c: the child exits, the session ends with status 0', async (t) => {
  const server = spawnCli([
    '-v',
    '-u',
    '-l',
    '-c',
    'read line; echo "got $line"',
    '127.0.0.1',
    '0',
  ]);
  t.after(() => stop(server));
  const done = finished(server);
  const port = Number((await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const peer = await udpPeer(t);
  await peer.send('hello\n', port);
  const answer = await peer.next();
  assert.equal(answer.data.toString(), 'got hello\n');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
});

/** A UDP client program as a peer of a -u -l -k server: lines in on stdin, datagrams back out. */
interface LineClient {
  name: string;
  child: ChildProcess;
}

/** A python3 UDP client: each stdin line is one datagram; each datagram received is printed. */
const PYTHON_CLIENT = `
import socket, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
def receive():
    while True:
        data = s.recv(65535)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
threading.Thread(target=receive, daemon=True).start()
for line in sys.stdin.buffer:
    s.send(line)
threading.Event().wait()
`;

/** ncat -u, socat - UDP: and python3, each a client of the server on `port`. */
function startClients(t: TestContext, port: number, programs: Record<string, string>) {
  const argv: Record<string, string[]> = {
    ncat: ['-u', '127.0.0.1', String(port)],
    socat: ['-', `UDP:127.0.0.1:${port}`],
    python3: ['-c', PYTHON_CLIENT, String(port)],
  };
  return Object.entries(programs).map(([name, command]): LineClient => {
    const child = spawn(command, argv[name]!, { stdio: 'pipe' });
    t.after(() => stop(child));
    child.stdin.on('error', () => {});
    return { name, child };
  });
}

/** The descendants of `pid` (that run `comm`, if given), from /proc: every process's parent. */
async function descendantsNamed(pid: number, comm?: string): Promise<number[]> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ")".
    const close = stat.lastIndexOf(')');
    if (close === -1) continue;
    names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
    parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
  }
  const isDescendant = (candidate: number): boolean => {
    for (let up = parents.get(candidate); up !== undefined && up > 1; up = parents.get(up)) {
      if (up === pid) return true;
    }
    return false;
  };
  return [...names]
    .filter(([p, name]) => (comm === undefined || name === comm) && isDescendant(p))
    .map(([p]) => p);
}

/**
 * ncat's children (a forked ncat, and its command, per peer) outlive it, holding its stderr
 * open: the returned function ends them by pid (and runs when the test ends, for failures).
 */
function endChildrenOf(t: TestContext, ncat: ChildProcess): () => Promise<void> {
  const end = async () => {
    for (const pid of await descendantsNamed(ncat.pid!)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  };
  t.after(end);
  return end;
}

/**
 * ncat -vvv -u -l -k with a command can take its n-th new peer: after its n-th "Listening on"
 * (it binds a new socket for each next peer), its select loop is back ("selecting").
 */
function ncatReady(ncat: ChildProcess, peers: number) {
  return waitForLine(
    ncat.stderr!,
    new RegExp(`(Listening on[^\\n]*\\n(?:[^\\n]*\\n)*?NCAT DEBUG: selecting[\\s\\S]*?){${peers}}`),
  );
}

/**
 * The side-by-side row: each client in turn sends a line and waits for its echo (a child per
 * peer), then each, in the other order, a second line. Returns each client's transcript and how
 * many `cat` children the server had. `ready(n)` resolves once the server can take its n-th new
 * peer.
 */
async function echoRounds(
  t: TestContext,
  server: ChildProcess,
  port: number,
  ready: (peers: number) => Promise<unknown> = async () => {},
) {
  const programs: Record<string, string> = {};
  for (const name of ['ncat', 'socat', 'python3']) {
    const command = requirePeer(t, name);
    if (command === undefined) return undefined;
    programs[name] = command;
  }
  const clients = startClients(t, port, programs);
  for (const [i, client] of clients.entries()) {
    await ready(i + 1);
    client.child.stdin!.write(`hello from ${client.name}\n`);
    await waitForLine(client.child.stdout!, new RegExp(`^hello from ${client.name}\n`));
  }
  for (const client of [...clients].reverse()) {
    client.child.stdin!.write(`bye from ${client.name}\n`);
    await waitForLine(client.child.stdout!, /bye from \S+\n/);
  }
  const transcripts: Record<string, string> = {};
  for (const client of clients) {
    transcripts[client.name] = (await waitForLine(client.child.stdout!, /^[\s\S]*$/))[0];
  }
  return { transcripts, children: (await descendantsNamed(server.pid!, 'cat')).length };
}

test('-u -l -k -e /bin/cat side by side with ncat 7.93: a child per peer, the same transcripts', async (t) => {
  const ncat = requirePeer(t, 'ncat');
  if (!ncat) return;
  // ncat binds a new socket for the next peer each time it hands one to a child: given port 0,
  // that is a new port each time (only the first peer would reach it), so it gets a port held
  // for it that nothing else can take (ncat binds with SO_REUSEADDR). A datagram that arrives
  // before it has bound again is refused (and first datagrams that arrive together all go to the
  // first child): each client waits for ncat's select loop to be back (-vvv: "selecting") after
  // its n-th "Listening on".
  const ncatPort = await udpPortToBindLater();
  const reference = await startListeningPeer(t, {
    command: ncat,
    args: ['-vvv', '-u', '-l', '-k', '-e', '/bin/cat', '127.0.0.1', String(ncatPort)],
    ready: /Listening on 127\.0\.0\.1:(\d+)/,
    reportsPort: true,
  });
  const endNcatChildren = endChildrenOf(t, reference.child);
  const theirs = await echoRounds(t, reference.child, reference.port, (peers) =>
    ncatReady(reference.child, peers),
  );
  await endNcatChildren();
  if (!theirs) return;
  const server = spawnCli(['-v', '-u', '-l', '-k', '-e', '/bin/cat', '127.0.0.1', '0']);
  t.after(() => stop(server));
  const port = Number((await waitForLine(server.stderr!, /Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const ours = await echoRounds(t, server, port);
  assert.deepEqual(ours, theirs);
  assert.deepEqual(ours, {
    transcripts: {
      ncat: 'hello from ncat\nbye from ncat\n',
      socat: 'hello from socat\nbye from socat\n',
      python3: 'hello from python3\nbye from python3\n',
    },
    children: 3,
  });
  // Ended by a signal, sockcat ends and reaps every child (ncat leaves them to their EOF).
  const cats = await descendantsNamed(server.pid!, 'cat');
  const done = finished(server);
  server.kill('SIGTERM');
  assert.equal((await done).code, 143);
  for (const pid of cats) {
    assert.equal(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => 'gone'), 'gone');
  }
});
