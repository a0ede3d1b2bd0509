// The file descriptors a process holds (this one by default), for tests that check nothing leaks.
import { readdirSync, readlinkSync } from 'node:fs';

/** Each open descriptor as "fd -> target" (a socket's target names its inode). */
export function openDescriptors(pid: number | 'self' = 'self'): Set<string> {
  const held = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      held.add(`${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
    } catch {
      // closed between the listing and the readlink (the listing's own descriptor is one)
    }
  }
  return held;
}

/**
 * The descriptors open now that were not open at `before`. A descriptor that something else
 * closed meanwhile (an earlier test's handle whose close libuv finishes later) is no leak, and a
 * leaked one that reuses a freed number still shows, as its target differs.
 */
export function descriptorsOpenedSince(
  before: Set<string>,
  pid: number | 'self' = 'self',
): string[] {
  return [...openDescriptors(pid)].filter((entry) => !before.has(entry));
}
