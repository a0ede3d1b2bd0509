import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { which } from './peers.js';

/** Two network namespaces joined by a veth pair, with addresses of their own. */
export interface NetnsPair {
  a: string;
  b: string;
  addressA: string;
  addressB: string;
  /** Spawn a command inside namespace `ns`. */
  spawn(ns: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
}

let sequence = 0;

/**
 * Create two namespaces, A (10.231.N.1) and B (10.231.N.2), each with loopback up and one end of
 * a veth pair; removed when the test ends. Nothing is added to the host's own namespace, and no
 * packet can leave the pair. Skips the test (with the reason) unless running as root with `ip`.
 */
export function createNetnsPair(t: TestContext): NetnsPair | undefined {
  const reason =
    process.getuid?.() !== 0
      ? 'raw-socket tests need root (they create network namespaces)'
      : !which('ip')
        ? 'the ip command (iproute2) is not installed'
        : undefined;
  if (reason) {
    if (process.env['SOCKCAT_REQUIRE_PEERS'] === '1' && process.getuid?.() === 0) {
      throw new Error(`required: ${reason}`);
    }
    t.skip(reason);
    return undefined;
  }
  const n = (process.pid % 200) + sequence++;
  const a = `sockcat-a-${process.pid}-${n}`;
  const b = `sockcat-b-${process.pid}-${n}`;
  const subnet = `10.231.${n % 250}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const remove = () => {
    for (const ns of [a, b]) {
      try {
        ip('netns', 'del', ns);
      } catch {}
    }
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    t.after(remove);
    ip('link', 'add', 'veth-a', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', b);
    for (const [ns, dev, address] of [
      [a, 'veth-a', `${subnet}.1`],
      [b, 'veth-b', `${subnet}.2`],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    a,
    b,
    addressA: `${subnet}.1`,
    addressB: `${subnet}.2`,
    spawn: (ns, command, args, options = {}) =>
      spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: 'pipe', ...options }),
  };
}
