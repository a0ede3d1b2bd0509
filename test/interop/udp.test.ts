// -u against real peers (ncat 7.93, nc.openbsd, socat), in both roles: one datagram each way.
// A peer that listens is given port 0; the port it got is read from its output or from /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, type TestContext, test } from 'node:test';
import { finished, spawnCli, stop, waitForLine } from '../helpers/child.js';
import { type ListeningPeerOptions, startListeningPeer } from '../helpers/listening-peer.js';
import { requirePeer } from '../helpers/peers.js';

const LOOPBACK = '127.0.0.1';

interface UdpPeerProgram {
  command: string;
  connect(port: number): string[];
  listen: Omit<ListeningPeerOptions, 'command'>;
}

const PEERS: UdpPeerProgram[] = [
  {
    command: 'ncat',
    connect: (port) => ['-u', LOOPBACK, String(port)],
    // ncat 7.93 prints the port it was given (0), not the one it got.
    listen: {
      args: ['-v', '-u', '-l', LOOPBACK, '0'],
      ready: /Listening on 127\.0\.0\.1:0/,
      reportsPort: false,
      protocol: 'udp',
    },
  },
  {
    command: 'nc.openbsd',
    connect: (port) => ['-u', LOOPBACK, String(port)],
    listen: {
      args: ['-v', '-u', '-l', LOOPBACK, '0'],
      ready: /Bound on \S+ (\d+)/,
      reportsPort: true,
    },
  },
  {
    command: 'socat',
    connect: (port) => ['STDIO', `UDP:${LOOPBACK}:${port}`],
    listen: {
      args: ['-d', '-d', `UDP-LISTEN:0,bind=${LOOPBACK}`, 'STDIO'],
      ready: /listening on UDP AF=2 127\.0\.0\.1:(\d+)/,
      reportsPort: true,
    },
  },
];

function spawnPeer(t: TestContext, command: string, args: string[]) {
  const child = spawn(command, args, { stdio: 'pipe' });
  t.after(() => stop(child));
  child.stdin.on('error', () => {});
  return child;
}

describe('UDP interop', () => {
  for (const peer of PEERS) {
    test(`sockcat -u connects to ${peer.command} listening: a datagram each way`, async (t) => {
      const command = requirePeer(t, peer.command);
      if (command === undefined) return;
      const listening = await startListeningPeer(t, { command, ...peer.listen });
      const child = spawnCli(['-u', LOOPBACK, String(listening.port)]);
      t.after(() => stop(child));
      const done = finished(child);
      void waitForLine(child.stdout!, /^/);
      child.stdin!.write('ping\n');
      await waitForLine(listening.child.stdout!, /ping\n/);
      listening.child.stdin!.write('pong\n');
      await waitForLine(child.stdout!, /pong\n/);
      child.stdin!.end();
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.toString(), 'pong\n');
    });

    test(`${peer.command} as a UDP client of sockcat -u -l: a datagram each way`, async (t) => {
      const command = requirePeer(t, peer.command);
      if (command === undefined) return;
      const child = spawnCli(['-v', '-u', '-l', LOOPBACK, '0']);
      t.after(() => stop(child));
      const done = finished(child);
      void waitForLine(child.stdout!, /^/);
      const match = await waitForLine(child.stderr!, /Listening on 127\.0\.0\.1:(\d+)/);
      const client = spawnPeer(t, command, peer.connect(Number(match[1])));
      client.stdin.write('ping\n');
      await waitForLine(child.stdout!, /ping\n/);
      await waitForLine(child.stderr!, /Connection from 127\.0\.0\.1:\d+\./);
      child.stdin!.write('pong\n');
      await waitForLine(client.stdout, /pong\n/);
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.code, 143);
      assert.equal(result.stdout.toString(), 'ping\n');
    });
  }
});
