import { EOFError, TimeoutError } from '../errors.js';
import type { Tube } from '../tube/tube.js';

/**
 * Read a client's handshake message from a tube with a deadline: `parse` gets everything received
 * so far and returns undefined (need more), or the value and the bytes it took (it enforces its
 * own size cap by throwing). Bytes past the message are put back into the tube (`unrecv`).
 * Rejects with TimeoutError when `deadline` (a `performance.now()` time) passes, EOFError when
 * the client stops sending first. `heard` is told after every read.
 */
export async function readHandshake<T>(
  tube: Tube,
  parse: (received: Buffer) => { value: T; length: number } | undefined,
  deadline: number,
  heard?: () => void,
): Promise<T> {
  let received: Buffer = Buffer.alloc(0);
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) throw new TimeoutError('handshake timed out', 0);
    // 4 KiB at a time: a parser's cap is never overshot by more than one read.
    const chunk = await tube.recv(4096, { timeout: left });
    heard?.();
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const parsed = parse(received);
    if (parsed === undefined) continue;
    if (parsed.length < received.length) tube.unrecv(received.subarray(parsed.length));
    return parsed.value;
  }
}

/** Whether an error means the client never finished its handshake (timeout or end of file). */
export function isIncompleteHandshake(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof EOFError;
}
