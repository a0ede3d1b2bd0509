const CR = 0x0d;
const LF = 0x0a;

/**
 * A stateful LF → CRLF converter for a stream of chunks (ncat's -C). A LF already preceded by CR,
 * even when the CR ended the previous chunk, is left alone.
 */
export function createCrlfEncoder(): (chunk: Buffer) => Buffer {
  let lastWasCR = false;
  return (chunk) => {
    let bare = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === LF && !(i === 0 ? lastWasCR : chunk[i - 1] === CR)) bare++;
    }
    const previousCR = lastWasCR;
    if (chunk.length > 0) lastWasCR = chunk[chunk.length - 1] === CR;
    if (bare === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + bare);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF && !(i === 0 ? previousCR : chunk[i - 1] === CR)) out[o++] = CR;
      out[o++] = byte;
    }
    return out;
  };
}
