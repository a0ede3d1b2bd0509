import { ArgumentError } from '../errors.js';
import { quoteInput } from './quote.js';

/**
 * Longest Unix socket path the kernel takes, in bytes: `sun_path` is 108 bytes on Linux and a
 * file path needs its terminating NUL there. An abstract name (`@name`) has a leading NUL instead,
 * so its name after the "@" has the same 107 bytes.
 */
export const MAX_UNIX_PATH_BYTES = 107;

/**
 * Refuse a Unix socket path the kernel cannot hold. Without this check Node's bind and connect
 * cut the path at 108 bytes silently, so two long paths that share their first 108 bytes reach
 * the same socket, and a truncated socket file is left behind. nc.openbsd and Python refuse too.
 * `what` names the value in the message ("Unix socket path", "-s source path").
 */
export function checkUnixPath(path: string, what = 'Unix socket path'): string {
  if (typeof path !== 'string' || path === '' || path === '@') {
    throw new ArgumentError(`invalid ${what} ${quoteInput(String(path))}`);
  }
  const abstract = path.startsWith('@');
  const bytes = Buffer.byteLength(abstract ? path.slice(1) : path);
  if (bytes > MAX_UNIX_PATH_BYTES) {
    const kind = abstract ? 'abstract socket name' : what;
    throw new ArgumentError(
      `${kind} ${quoteInput(path)} is ${bytes} bytes long; the kernel's limit is ${MAX_UNIX_PATH_BYTES} (sun_path is 108 bytes): ${abstract ? 'use a shorter name' : 'use a shorter path or an abstract name (@name)'}`,
    );
  }
  return path;
}
