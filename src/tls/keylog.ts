import { appendFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';

/**
 * Append the socket's key log lines (NSS format, what SSLKEYLOGFILE means for curl and OpenSSL)
 * to `path`, so a capture can be decrypted in Wireshark. Lines are appended as they come; a file
 * that cannot be written is skipped silently after the first failure, as curl does.
 */
export function attachKeyLog(socket: TLSSocket, path: string): void {
  let failed = false;
  socket.on('keylog', (line: Buffer) => {
    if (failed) return;
    try {
      appendFileSync(path, line, { mode: 0o600 });
    } catch {
      failed = true;
    }
  });
}
