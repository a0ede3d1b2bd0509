import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { ListenError } from '../errors.js';
import type { Log } from './log.js';

/**
 * Make a Unix socket path ready to listen on, better than ncat 7.93 (which fails with "Address
 * already in use" whenever the path exists):
 * - nothing there, or a Linux abstract name (`@name`, no file): nothing to do;
 * - a file that is not a socket: refused, never replaced;
 * - a socket file that somebody is listening on: "address in use";
 * - a socket file nobody listens on (connecting is refused: left by a killed process): removed.
 * Any other condition (no permission, missing directory) is left for listen() to report.
 */
export async function prepareUnixListenPath(path: string, log: Log): Promise<void> {
  if (path.startsWith('@')) return;
  const context = { op: 'listen', network: 'unix', address: path } as const;
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) {
    throw new ListenError(
      `listen on ${path} failed: ${JSON.stringify(path)} exists and is not a socket (sockcat will not replace it)`,
      context,
    );
  }
  const answer = await probe(path);
  if (answer === 'listening') {
    throw new ListenError(
      `listen on ${path} failed: Address already in use (another program is listening on it)`,
      context,
    );
  }
  if (answer === 'refused') {
    try {
      await unlink(path);
      log.info(2, `removed stale socket ${path} (nobody was listening on it)`);
    } catch {
      // Gone already, or not ours to remove: listen() reports what is left.
    }
  }
}

/** Connect to a socket file and hang up: is anybody listening there? */
function probe(path: string): Promise<'listening' | 'refused' | 'unknown'> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve('listening');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'unknown');
    });
  });
}
