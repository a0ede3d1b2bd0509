import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** Full path of an executable on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * The path of a real peer program. When it is missing the test is skipped with a reason, or fails
 * when SOCKCAT_REQUIRE_PEERS=1 (CI installs every peer first).
 */
export function requirePeer(t: TestContext, command: string): string | undefined {
  const path = which(command);
  if (path) return path;
  const reason = `${command} is not installed (apt-get install ncat netcat-openbsd socat openssl curl iputils-ping iproute2 haproxy openssh-server python3-websockets lua5.4 tmux zsh fish man-db)`;
  if (process.env['SOCKCAT_REQUIRE_PEERS'] === '1') {
    throw new Error(`required peer missing: ${reason}`);
  }
  t.skip(reason);
  return undefined;
}
