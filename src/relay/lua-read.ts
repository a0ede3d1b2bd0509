/**
 * The formats of Lua 5.4's `io.read` ("n", "l", "L", "a", or a byte count) over a buffer of bytes
 * received so far. Pure: the caller keeps the buffer, says whether the peer has finished (`eof`),
 * and asks again with more bytes when the answer is `more`.
 */

/** A format as the prelude passes it: the letter without a leading '*', or a byte count. */
export type LuaReadFormat = 'n' | 'l' | 'L' | 'a' | number;

export type LuaReadResult =
  /** Not decidable yet: wait for more bytes (or the end of the input), then ask again. */
  | { kind: 'more' }
  /** `value` undefined is Lua's fail (nil); `consumed` bytes leave the buffer either way. */
  | { kind: 'done'; value: Buffer | undefined; consumed: number };

const NEWLINE = 0x0a;
/** liolib.c's L_MAXLENNUM: a numeral longer than this is not read. */
const MAX_NUMERAL = 200;

/** Answer one format from `buffer`. For 'n' the value is the numeral's text, for Lua's tonumber. */
export function takeFormat(buffer: Buffer, eof: boolean, format: LuaReadFormat): LuaReadResult {
  if (typeof format === 'number') return takeCount(buffer, eof, format);
  switch (format) {
    case 'l':
    case 'L':
      return takeLine(buffer, eof, format === 'L');
    case 'a':
      return eof ? done(buffer, buffer.length) : MORE;
    case 'n':
      return takeNumeral(buffer, eof);
  }
}

const MORE: LuaReadResult = { kind: 'more' };

function done(value: Buffer | undefined, consumed: number): LuaReadResult {
  return { kind: 'done', value, consumed };
}

function takeCount(buffer: Buffer, eof: boolean, count: number): LuaReadResult {
  // read(0) tests for end of file: "" while there is more to read, fail at the end.
  if (count === 0) {
    if (buffer.length > 0) return done(Buffer.alloc(0), 0);
    return eof ? done(undefined, 0) : MORE;
  }
  if (buffer.length >= count) return done(buffer.subarray(0, count), count);
  if (!eof) return MORE;
  return buffer.length > 0 ? done(buffer, buffer.length) : done(undefined, 0);
}

function takeLine(buffer: Buffer, eof: boolean, keepNewline: boolean): LuaReadResult {
  const at = buffer.indexOf(NEWLINE);
  if (at !== -1) return done(buffer.subarray(0, keepNewline ? at + 1 : at), at + 1);
  if (!eof) return MORE;
  // The last line without a newline is still a line; nothing at all is fail.
  return buffer.length > 0 ? done(buffer, buffer.length) : done(undefined, 0);
}

/** C's isspace() in the "C" locale. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function isDigit(byte: number, hex: boolean): boolean {
  if (byte >= 0x30 && byte <= 0x39) return true;
  return hex && ((byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

/** Thrown inside the numeral scanner when it needs a byte that has not arrived yet. */
const NEED_MORE = Symbol('need more');

/**
 * liolib.c's read_number: skip white space, then take the longest prefix that can be a numeral
 * (sign, 0x, digits, a point, an exponent). The text goes to tonumber(); the bytes are consumed
 * even when it is not a number, as in C, and the byte after it stays.
 */
function takeNumeral(buffer: Buffer, eof: boolean): LuaReadResult {
  let at = 0;
  const peek = (): number => {
    if (at < buffer.length) return buffer[at] as number;
    if (eof) return -1;
    throw NEED_MORE;
  };
  try {
    while (isSpace(peek())) at++;
    const start = at;
    const accept = (chars: string): boolean => {
      const byte = peek();
      if (byte === -1 || !chars.includes(String.fromCharCode(byte))) return false;
      if (at - start >= MAX_NUMERAL) throw MAX_NUMERAL;
      at++;
      return true;
    };
    const digits = (hex: boolean): number => {
      let count = 0;
      while (isDigit(peek(), hex)) {
        if (at - start >= MAX_NUMERAL) throw MAX_NUMERAL;
        at++;
        count++;
      }
      return count;
    };
    accept('-+');
    let count = 0;
    let hex = false;
    if (accept('0')) {
      if (accept('xX')) hex = true;
      else count = 1;
    }
    count += digits(hex);
    if (accept('.')) count += digits(hex);
    if (count > 0 && accept(hex ? 'pP' : 'eE')) {
      accept('-+');
      digits(false);
    }
    return done(buffer.subarray(start, at), at);
  } catch (signal) {
    if (signal === NEED_MORE) return MORE;
    if (signal === MAX_NUMERAL) return done(undefined, at);
    throw signal;
  }
}
