/**
 * A view of `buffer[start, end)` sharing its memory, as `buffer.subarray(start, end)` returns, for
 * callers that have already checked `0 <= start <= end <= buffer.length`.
 *
 * Why not subarray: it looks its constructor up through `Buffer[Symbol.species]` on every call (a
 * getter, then a derived-class construct), about 70 ns on Node 20, a quarter of a buffered
 * `recvLine()`. The constructor that getter returns (Node's FastBuffer, whose prototype is
 * Buffer.prototype) builds the same view directly in about 25 ns. Where a Node does not expose it
 * that way, subarray is used.
 */
type ViewConstructor = new (memory: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

const species: unknown = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
const FastBuffer =
  typeof species === 'function' && species.prototype === Buffer.prototype
    ? (species as ViewConstructor)
    : undefined;

export function view(buffer: Buffer, start: number, end: number): Buffer {
  if (FastBuffer === undefined) return buffer.subarray(start, end);
  return new FastBuffer(buffer.buffer, buffer.byteOffset + start, end - start);
}

/**
 * Views of one buffer after another, for a reader that hands out many views of the same chunk
 * (lines). Reading `buffer.buffer` is a call into V8's runtime; this reads it once per chunk.
 */
export class ChunkViews {
  #chunk: Buffer | undefined;
  #memory: ArrayBufferLike | undefined;
  #byteOffset = 0;

  view(chunk: Buffer, start: number, end: number): Buffer {
    if (FastBuffer === undefined) return chunk.subarray(start, end);
    if (chunk !== this.#chunk) {
      this.#chunk = chunk;
      this.#memory = chunk.buffer;
      this.#byteOffset = chunk.byteOffset;
    }
    return new FastBuffer(this.#memory!, this.#byteOffset + start, end - start);
  }

  /** Let go of the chunk (it has been consumed). */
  forget(): void {
    this.#chunk = undefined;
    this.#memory = undefined;
  }
}
