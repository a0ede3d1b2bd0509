import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { stop, waitForLine } from './child.js';
import { freePort } from './ports.js';

export interface ListeningPeerOptions {
  /** Program to run. */
  command: string;
  /** Its arguments to listen on loopback `port`; `port` is 0 when `reportsPort` is true. */
  args(port: number): string[];
  /** A stderr line printed once the program listens; group 1 is the bound port. */
  ready: RegExp;
  /**
   * The program can listen on port 0 and tell the real port. When false a port that was free a
   * moment ago is used, and another is tried if the program reports it taken.
   */
  reportsPort: boolean;
}

export interface ListeningPeer {
  child: ChildProcess;
  port: number;
  /** What the child wrote to stderr so far. */
  stderr: () => string;
}

const ADDRESS_IN_USE = /address already in use/i;

/**
 * Start a real peer program listening on loopback and wait until it says so. The child is killed
 * when the test ends.
 */
export async function startListeningPeer(
  t: TestContext,
  options: ListeningPeerOptions,
): Promise<ListeningPeer> {
  for (let attempt = 1; ; attempt++) {
    const port = options.reportsPort ? 0 : await freePort();
    const child = spawn(options.command, options.args(port), { stdio: 'pipe' });
    t.after(() => stop(child));
    const stderr = captureStderr(child);
    try {
      const match = await waitForLine(child.stderr!, options.ready);
      return { child, port: Number(match[1]), stderr };
    } catch (error) {
      // Someone took the port between freePort() and the peer's bind(): pick another.
      if (attempt >= 3 || !ADDRESS_IN_USE.test(String(error))) throw error;
    }
  }
}

/** Everything a child writes to stderr, as text, for assertion messages. */
export function captureStderr(child: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString();
}
