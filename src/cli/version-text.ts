import { VERSION } from '../version.js';

/** What `sockcat --version` prints. */
export function versionText(): string {
  return `sockcat ${VERSION} (ncat-compatible; Node.js ${process.version})\n`;
}
