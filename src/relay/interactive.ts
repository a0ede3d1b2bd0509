import type { Readable, Writable } from 'node:stream';
import type { Tube } from '../tube/tube.js';
import { type RelayResult, relayStdio } from './stdio-relay.js';

/**
 * Hand a connection to the terminal (pwntools' interactive()): stdin goes to the peer, the peer's
 * bytes to stdout, with the end-of-file rules of docs/eof.md. Resolves when either side is done;
 * the tube stays open for the caller to close. A relay over a tube, so it lives in relay/ (tube/
 * knows no relay).
 */
export function interactive(
  tube: Tube,
  io: { stdin?: Readable; stdout?: Writable; signal?: AbortSignal } = {},
): Promise<RelayResult> {
  const stdin = io.stdin ?? process.stdin;
  return relayStdio(tube, {
    endOnPeerEof: (stdin as { isTTY?: boolean }).isTTY === true,
    stdin,
    stdout: io.stdout ?? process.stdout,
    ...(io.signal ? { signal: io.signal } : {}),
  });
}
