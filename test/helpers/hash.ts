import { createHash } from 'node:crypto';

export interface StreamDigest {
  /** Hex SHA-256 of every byte the stream produced. */
  sha256: string;
  bytes: number;
}

/** SHA-256 of a buffer, as hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Hash a stream incrementally until it ends: nothing is kept but the running digest. `onChunk`
 * sees each chunk as it passes (to report progress).
 */
export async function sha256Stream(
  stream: NodeJS.ReadableStream,
  onChunk?: (chunk: Buffer) => void,
): Promise<StreamDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    hash.update(buffer);
    onChunk?.(buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}
