import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { stop, waitForLine } from './child.js';

export interface ListeningPeerOptions {
  /** Program to run. */
  command: string;
  /** Its arguments to listen on loopback port 0. */
  args: string[];
  /** A stderr line the program prints once it listens; with `reportsPort`, group 1 is the port. */
  ready: RegExp;
  /**
   * The program tells the port it got for port 0 (in `ready`). Otherwise (ncat 7.93 prints
   * "Listening on 127.0.0.1:0") the port is read from /proc: no race for a port chosen in advance.
   */
  reportsPort: boolean;
  /** The socket to look for in /proc when the port is not reported (default 'tcp'). */
  protocol?: 'tcp' | 'udp';
}

export interface ListeningPeer {
  child: ChildProcess;
  port: number;
  /** What the child wrote to stderr so far. */
  stderr: () => string;
}

/**
 * Start a program listening on loopback port 0 and wait until it says so; resolve with the port
 * it got. The child is killed when the test ends.
 */
export async function startListeningPeer(
  t: TestContext,
  options: ListeningPeerOptions,
): Promise<ListeningPeer> {
  const child = spawn(options.command, options.args, { stdio: 'pipe' });
  t.after(() => stop(child));
  const stderr = captureStderr(child);
  const match = await waitForLine(child.stderr!, options.ready);
  const port = options.reportsPort
    ? Number(match[1])
    : await listeningPortOf(child.pid!, options.protocol);
  return { child, port, stderr };
}

/**
 * The TCP port a process listens on, from Linux's /proc: the LISTEN entry of /proc/PID/net/tcp{,6}
 * whose socket inode is one of the process's file descriptors. For 'udp', the port its bound UDP
 * socket has (/proc/PID/net/udp{,6}, any state). With `ipv6Only`, only the IPv6 table is read
 * (the port an IPv6 client must use when IPv4 and IPv6 have separate sockets).
 */
export async function listeningPortOf(
  pid: number,
  protocol: 'tcp' | 'udp' = 'tcp',
  { ipv6Only = false }: { ipv6Only?: boolean } = {},
): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const LISTEN = '0A';
  for (const table of ipv6Only ? [`${protocol}6`] : [protocol, `${protocol}6`]) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8');
    // sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [localAddress, state, inode] = [fields[1], fields[3], fields[9]];
      const listening = protocol === 'udp' || state === LISTEN;
      if (listening && inode !== undefined && inodes.has(inode)) {
        return Number.parseInt(localAddress?.split(':')[1] ?? '', 16);
      }
    }
  }
  throw new Error(`process ${pid} has no listening ${protocol.toUpperCase()} socket`);
}

/** Everything a child writes to stderr, as text, for assertion messages. */
export function captureStderr(child: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString();
}
