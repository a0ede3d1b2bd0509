/**
 * Text handling of the chat (`--chat`): bytes from one peer made safe for the others' terminals,
 * and split into lines so that each line gets its sender's prefix. Pure: no sockets.
 */

const LF = 0x0a;
const CR = 0x0d;

/** A byte written as ncat writes escaped bytes in chat mode: a backslash and three octal digits. */
function octal(byte: number): Buffer {
  return Buffer.from(`\\${byte.toString(8).padStart(3, '0')}`, 'latin1');
}

/** Length of the valid UTF-8 sequence starting at `at`, or 0 when the byte there starts none. */
function utf8SequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  let length: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    min = 0x10000;
  } else return 0;
  if (at + length > bytes.length) return 0;
  let codePoint = lead & (0xff >> (length + 1));
  for (let i = 1; i < length; i++) {
    const next = bytes[at + i]!;
    if ((next & 0xc0) !== 0x80) return 0;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points beyond Unicode are not valid UTF-8.
  if (codePoint < min || (codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) {
    return 0;
  }
  // C1 controls (U+0080-U+009F, e.g. U+009B, the one-character CSI) are escaped like C0 ones.
  if (codePoint <= 0x9f) return 0;
  return length;
}

/**
 * Make a peer's bytes safe to print on someone else's terminal: every C0 control character
 * (0x00-0x1F) except the line feed, DEL (0x7F), every C1 control character (U+0080-U+009F, as
 * UTF-8 or as a raw byte) and every byte that is not part of valid UTF-8 is written as a
 * backslash and three octal digits, as ncat writes them (ESC is `\033`). A carriage return is
 * kept only right before a line feed (a CRLF line ending); anywhere else it could rewrite the
 * line (and fake another user's prefix), so it is escaped (`\015`). Valid UTF-8 text passes
 * unchanged.
 */
export function escapeControls(bytes: Uint8Array): Buffer {
  let escaped = false;
  let copiedUpTo = 0;
  const parts: Buffer[] = [];
  const flush = (to: number) => {
    if (to > copiedUpTo)
      parts.push(Buffer.from(bytes.buffer, bytes.byteOffset + copiedUpTo, to - copiedUpTo));
  };
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte >= 0x20 && byte < 0x7f) {
      i++;
      continue;
    }
    if (byte === LF || (byte === CR && bytes[i + 1] === LF)) {
      i++;
      continue;
    }
    if (byte >= 0x80) {
      const length = utf8SequenceLength(bytes, i);
      if (length > 0) {
        i += length;
        continue;
      }
    }
    flush(i);
    parts.push(octal(byte));
    escaped = true;
    i++;
    copiedUpTo = i;
  }
  if (!escaped) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  flush(bytes.length);
  return Buffer.concat(parts);
}

/**
 * Cuts one peer's byte stream into lines (each with its "\n"). An unfinished line is held until
 * its line feed arrives, the peer's end of file (`flush()`), or it reaches `maxLine` bytes; it is
 * then cut at a UTF-8 character boundary, so that no character is split between two messages.
 */
export class LineSplitter {
  #held: Buffer[] = [];
  #heldBytes = 0;
  readonly maxLine: number;

  constructor(maxLine: number) {
    if (!(maxLine >= 4)) throw new RangeError(`maxLine must be at least 4, got ${maxLine}`);
    this.maxLine = maxLine;
  }

  /** Bytes of an unfinished line held back. */
  get held(): number {
    return this.#heldBytes;
  }

  /** Complete lines (and over-long pieces) found once `chunk` is added. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const at = chunk.indexOf(LF, start);
      if (at === -1) break;
      lines.push(this.#take(chunk.subarray(start, at + 1)));
      start = at + 1;
    }
    if (start < chunk.length) {
      this.#held.push(chunk.subarray(start));
      this.#heldBytes += chunk.length - start;
      while (this.#heldBytes >= this.maxLine) lines.push(this.#cut());
    }
    return lines;
  }

  /** The unfinished line, if any (at the peer's end of file). */
  flush(): Buffer | undefined {
    if (this.#heldBytes === 0) return undefined;
    return this.#take(Buffer.alloc(0));
  }

  #take(tail: Buffer): Buffer {
    if (this.#heldBytes === 0) return tail;
    const line = Buffer.concat([...this.#held, tail]);
    this.#held = [];
    this.#heldBytes = 0;
    return line;
  }

  /** The first maxLine bytes of the held line, ending at a character boundary. */
  #cut(): Buffer {
    const all = this.#take(Buffer.alloc(0));
    // A continuation byte (10xxxxxx) right at the limit means a character straddles it: cut
    // before that character's first byte instead (at most 3 bytes back).
    let end = this.maxLine;
    let back = end;
    while (back > 0 && end - back < 3 && (all[back]! & 0xc0) === 0x80) back--;
    if (back > 0 && (all[back]! & 0xc0) !== 0x80) end = back;
    const rest = all.subarray(end);
    if (rest.length > 0) {
      this.#held = [rest];
      this.#heldBytes = rest.length;
    }
    return all.subarray(0, end);
  }
}
