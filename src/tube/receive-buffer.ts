import { ChunkViews, view } from './buffer-view.js';

const EMPTY = Buffer.alloc(0);

/**
 * The bytes a tube has received and not yet handed out: a list of chunks plus a total length.
 * Pure (no I/O). Consuming from the front returns views into the received chunks when the bytes
 * lie in one chunk, and copies only when they span several. The first chunk is consumed by
 * moving an offset into it, so that handing out a line costs one view and no other allocation.
 */
export class ReceiveBuffer {
  #chunks: Buffer[] = [];
  /** Index of the first live chunk in #chunks; the ones before it are consumed. */
  #head = 0;
  /** Bytes of the first live chunk already consumed. */
  #offset = 0;
  #length = 0;
  /** Made at the first line read: an idle connection's buffer stays small. */
  #lineViews: ChunkViews | undefined;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Put bytes back at the front, so that they are received again first. */
  unshift(data: Buffer): void {
    if (data.length === 0) return;
    if (this.#offset > 0) {
      // The offset belongs to the first chunk: make that chunk start at it before going in front.
      this.#chunks[this.#head] = this.#chunks[this.#head]!.subarray(this.#offset);
      this.#offset = 0;
    }
    if (this.#head > 0) {
      this.#head--;
      this.#chunks[this.#head] = data;
    } else {
      this.#chunks.unshift(data);
    }
    this.#length += data.length;
  }

  /**
   * Position of the first occurrence of `delimiter` that starts at or after `from`, or -1.
   * Callers that search again after more data arrives pass `from = searchedUpTo(...)` so that no
   * byte is scanned twice; matches that straddle chunk boundaries are found.
   */
  indexOf(delimiter: Buffer, from = 0): number {
    const dlen = delimiter.length;
    if (dlen === 0) return Math.min(from, this.#length);
    if (from + dlen > this.#length) return -1;
    // Find the chunk holding `from` from whichever end is nearer: resumed searches start near the
    // tail, fresh ones (a line just consumed) near the head; either way the walk stays short.
    let index: number;
    let chunkStart: number;
    if (from * 2 >= this.#length) {
      index = this.#chunks.length - 1;
      chunkStart = this.#length - (this.#chunks[index]?.length ?? 0);
      while (chunkStart > from && index > this.#head) {
        index--;
        chunkStart -= this.#chunks[index]!.length;
      }
    } else {
      index = this.#head;
      // Positions inside a chunk are the chunk's own: the first one starts #offset bytes early.
      chunkStart = -this.#offset;
      while (chunkStart + this.#chunks[index]!.length <= from) {
        chunkStart += this.#chunks[index]!.length;
        index++;
      }
    }
    let local = from - chunkStart;
    for (; index < this.#chunks.length; index++) {
      const chunk = this.#chunks[index]!;
      const found = chunk.indexOf(delimiter, local);
      if (found !== -1) return chunkStart + found;
      // No match wholly inside this chunk: try the starts whose match would run into the next ones.
      for (let start = Math.max(local, chunk.length - dlen + 1); start < chunk.length; start++) {
        if (this.#matchesAt(delimiter, index, start)) return chunkStart + start;
      }
      chunkStart += chunk.length;
      local = 0;
    }
    return -1;
  }

  /**
   * The fast path of line reading: when `delimiter` occurs inside the first chunk, consume
   * through it and return those bytes (a view); otherwise undefined, and nothing is consumed.
   */
  consumeThroughInHead(delimiter: Buffer, drop = false): Buffer | undefined {
    const first = this.#chunks[this.#head];
    if (first === undefined) return undefined;
    const start = this.#offset;
    const at =
      delimiter.length === 1
        ? first.indexOf(delimiter[0]!, start)
        : first.indexOf(delimiter, start);
    if (at === -1) return undefined;
    const end = at + delimiter.length;
    this.#length -= end - start;
    // With `drop`, the view leaves the delimiter out: one view either way.
    this.#lineViews ??= new ChunkViews();
    const line = this.#lineViews.view(first, start, drop ? at : end);
    if (end === first.length) this.#dropHead();
    else this.#offset = end;
    return line;
  }

  /** Where to resume a search for a delimiter of `delimiterLength` bytes that just failed. */
  searchedUpTo(delimiterLength: number): number {
    return Math.max(0, this.#length - delimiterLength + 1);
  }

  #matchesAt(delimiter: Buffer, chunkIndex: number, start: number): boolean {
    let index = chunkIndex;
    let chunk = this.#chunks[index]!;
    let position = start;
    for (let i = 0; i < delimiter.length; i++) {
      while (position >= chunk.length) {
        index++;
        const next = this.#chunks[index];
        if (next === undefined) return false;
        chunk = next;
        position = 0;
      }
      if (chunk[position] !== delimiter[i]) return false;
      position++;
    }
    return true;
  }

  /** Remove and return the first `n` bytes (all of them when n exceeds the length). */
  consume(n: number): Buffer {
    const count = Math.min(n, this.#length);
    if (count === 0) return EMPTY;
    const first = this.#chunks[this.#head]!;
    const start = this.#offset;
    if (count <= first.length - start) {
      this.#length -= count;
      if (start + count === first.length) {
        this.#dropHead();
        return start === 0 ? first : view(first, start, first.length);
      }
      this.#offset = start + count;
      return view(first, start, start + count);
    }
    const out = Buffer.allocUnsafe(count);
    let copied = 0;
    while (copied < count) {
      const chunk = this.#chunks[this.#head]!;
      const from = this.#offset;
      const take = Math.min(chunk.length - from, count - copied);
      chunk.copy(out, copied, from, from + take);
      copied += take;
      if (from + take === chunk.length) this.#dropHead();
      else this.#offset = from + take;
    }
    this.#length -= count;
    return out;
  }

  /** The first `n` bytes (default: all) without consuming them. A copy when they span chunks. */
  peek(n = this.#length): Buffer {
    const count = Math.min(n, this.#length);
    if (count === 0) return EMPTY;
    const first = this.#chunks[this.#head]!;
    const start = this.#offset;
    if (count <= first.length - start) return view(first, start, start + count);
    const out = Buffer.allocUnsafe(count);
    let copied = 0;
    for (let index = this.#head; copied < count; index++) {
      const chunk = this.#chunks[index]!;
      const from = index === this.#head ? start : 0;
      const take = Math.min(chunk.length - from, count - copied);
      chunk.copy(out, copied, from, from + take);
      copied += take;
    }
    return out;
  }

  /**
   * Merge everything into one chunk and return it without consuming (for regular expressions,
   * which need contiguous input). Later calls are cheap while no new data arrives.
   */
  contiguous(): Buffer {
    if (this.#chunks.length - this.#head > 1) {
      const all = this.peek();
      this.#lineViews?.forget();
      this.#chunks = [all];
      this.#head = 0;
      this.#offset = 0;
    }
    return this.peek();
  }

  /** Remove and return everything. */
  clear(): Buffer {
    const all = this.consume(this.#length);
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    return all;
  }

  #dropHead(): void {
    // However the head chunk was consumed, the line views' cache lets go of it too.
    this.#lineViews?.forget();
    this.#offset = 0;
    this.#chunks[this.#head] = EMPTY;
    this.#head++;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
