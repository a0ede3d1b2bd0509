import { EOFError, ProxyProtocolError, TimeoutError } from '../errors.js';
import type { ProxyHeader } from '../proxy-protocol/header.js';
import { parseProxyHeader, V2_DEFAULT_MAX_LENGTH } from '../proxy-protocol/index.js';
import type { Tube } from '../tube/tube.js';

export interface ReadProxyHeaderOptions {
  /** Without a header: true fails the connection, false lets it through untouched. */
  required: boolean;
  /** Milliseconds for the whole header. */
  timeout: number;
  maxLength?: number;
}

/**
 * Read a PROXY protocol header from the start of a tube. Bytes after the header stay in the tube
 * for the handler. Returns undefined when the header is optional and absent.
 */
export async function readProxyHeader(
  tube: Tube,
  options: ReadProxyHeaderOptions,
): Promise<ProxyHeader | undefined> {
  const deadline = Date.now() + options.timeout;
  let received = Buffer.alloc(0);
  for (;;) {
    let result: ReturnType<typeof parseProxyHeader>;
    try {
      result = parseProxyHeader(received, options.maxLength ?? V2_DEFAULT_MAX_LENGTH);
    } catch (error) {
      if (!options.required && received.length > 0 && !looksLikeHeader(received)) {
        tube.unrecv(received);
        return undefined;
      }
      throw error;
    }
    if (result.status === 'done') {
      tube.unrecv(received.subarray(result.consumed));
      return result.header;
    }
    const remaining = deadline - Date.now();
    let chunk: Buffer;
    try {
      chunk = await tube.recv(Number.POSITIVE_INFINITY, { timeout: Math.max(remaining, 0) });
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new ProxyProtocolError(
          `no complete PROXY header from ${tube.peerName} within ${options.timeout}ms`,
        );
      }
      if (error instanceof EOFError && !options.required && received.length === 0) return undefined;
      throw error;
    }
    received = Buffer.concat([received, chunk]);
  }
}

/** A header's first bytes (so a malformed one fails even when headers are optional). */
function looksLikeHeader(bytes: Buffer): boolean {
  return (
    bytes.subarray(0, 6).toString('latin1') === 'PROXY '.slice(0, Math.min(6, bytes.length)) ||
    bytes[0] === 0x0d
  );
}
