/**
 * pwntools' cyclic patterns: the lexicographically least de Bruijn sequence over an alphabet, in
 * which every `n`-byte window occurs once, so the window that lands in a register tells its
 * offset. Byte-exact with pwntools' cyclic() and cyclic_find() for the same arguments.
 */
import { ArgumentError } from '../errors.js';
import { describe } from './describe-value.js';

/** Byte order of packed integers (packing.ts re-exports it). */
export type Endian = 'little' | 'big';

export interface CyclicOptions {
  /** The bytes the pattern is made of. Default 'abcdefghijklmnopqrstuvwxyz'. */
  alphabet?: string | Uint8Array;
  /** Length of the unique windows. Default 4. */
  n?: number;
}

export interface CyclicFindOptions extends CyclicOptions {
  /** How an integer value is packed into n bytes before the search. Default 'little'. */
  endian?: Endian;
}

const LOWERCASE = Buffer.from('abcdefghijklmnopqrstuvwxyz', 'latin1');
/** Bytes generated per step of a search. */
const SEARCH_CHUNK = 64 * 1024;

function alphabetOf(options: CyclicOptions, what: string): Buffer {
  const alphabet = options.alphabet;
  if (alphabet === undefined) return LOWERCASE;
  const bytes =
    typeof alphabet === 'string'
      ? Buffer.from(alphabet, 'latin1')
      : alphabet instanceof Uint8Array
        ? Buffer.from(alphabet)
        : undefined;
  if (bytes === undefined) {
    throw new ArgumentError(
      `${what}: alphabet must be a string or bytes, not ${describe(alphabet)}`,
    );
  }
  if (bytes.length < 2) throw new ArgumentError(`${what}: alphabet needs at least 2 symbols`);
  if (new Set(bytes).size !== bytes.length) {
    throw new ArgumentError(`${what}: alphabet repeats a symbol`);
  }
  return bytes;
}

function windowOf(options: CyclicOptions, what: string): number {
  const n = options.n ?? 4;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new ArgumentError(`${what}: n must be an integer from 1 to 64, not ${describe(n)}`);
  }
  return n;
}

/**
 * The de Bruijn sequence B(k, n) as indices into the alphabet, lazily, in chunks: the
 * concatenation in lexicographic order of the Lyndon words whose length divides n (Fredricksen,
 * Kessler and Maiorana), which is the sequence pwntools' recursive generator yields.
 */
function* deBruijn(k: number, n: number): Generator<number[]> {
  const word: number[] = [-1];
  let out: number[] = [];
  while (word.length > 0) {
    word[word.length - 1]!++;
    const length = word.length;
    if (n % length === 0) {
      for (const symbol of word) out.push(symbol);
      if (out.length >= SEARCH_CHUNK) {
        yield out;
        out = [];
      }
    }
    while (word.length < n) word.push(word[word.length - length]!);
    while (word.length > 0 && word[word.length - 1] === k - 1) word.pop();
  }
  if (out.length > 0) yield out;
}

/** The first `length` bytes of the default pattern (flat()'s filler). */
export function cyclicBytes(length: number): Buffer {
  return cyclic(length);
}

/**
 * The first `length` bytes of the pattern (pwntools' cyclic(length, alphabet, n)).
 * `cyclic(20)` is `aaaabaaacaaadaaaeaaa`. A length beyond k^n bytes is an ArgumentError.
 */
export function cyclic(length: number, options: CyclicOptions = {}): Buffer {
  const alphabet = alphabetOf(options, 'cyclic');
  const n = windowOf(options, 'cyclic');
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new ArgumentError(`cyclic needs a length (an integer >= 0), not ${describe(length)}`);
  }
  const space = alphabet.length ** n;
  if (length > space) {
    throw new ArgumentError(
      `cyclic: a pattern of ${length} bytes cannot be made of ${alphabet.length} symbols with n = ${n} (at most ${space})`,
    );
  }
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  if (length === 0) return out;
  for (const chunk of deBruijn(alphabet.length, n)) {
    for (const symbol of chunk) {
      out[at++] = alphabet[symbol]!;
      if (at === length) return out;
    }
  }
  return out.subarray(0, at);
}

/**
 * The offset of `value` in the pattern, or -1 (pwntools' cyclic_find). An integer is packed in n
 * bytes (little-endian unless `endian: 'big'`; wider values are truncated to n bytes as pwntools
 * does); bytes or a string longer than n are cut to their first n bytes.
 */
export function cyclicFind(
  value: string | Uint8Array | number | bigint,
  options: CyclicFindOptions = {},
): number {
  const alphabet = alphabetOf(options, 'cyclicFind');
  const n = windowOf(options, 'cyclicFind');
  let needle: Buffer;
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new ArgumentError(`cyclicFind needs an integer, not ${describe(value)}`);
    }
    let big = BigInt(value);
    if (big < 0n) throw new ArgumentError(`cyclicFind needs a value >= 0, not ${big}`);
    const bits = BigInt(8 * n);
    const limit = 1n << bits;
    if (options.endian === 'big') while (big >= limit) big >>= bits;
    else big &= limit - 1n;
    needle = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      needle[options.endian === 'big' ? n - 1 - i : i] = Number((big >> BigInt(8 * i)) & 0xffn);
    }
  } else if (typeof value === 'string') {
    needle = Buffer.from(value, 'latin1');
  } else if (value instanceof Uint8Array) {
    needle = Buffer.from(value);
  } else {
    throw new ArgumentError(
      `cyclicFind takes bytes, a string or an integer, not ${describe(value)}`,
    );
  }
  if (needle.length < n) {
    throw new ArgumentError(`cyclicFind needs ${n} bytes (n = ${n}), got ${needle.length}`);
  }
  needle = needle.subarray(0, n);
  for (const byte of needle) if (!alphabet.includes(byte)) return -1;
  // Walk the sequence chunk by chunk, keeping the last n - 1 bytes so a window split across
  // chunks is found.
  let carry = Buffer.alloc(0);
  let offset = 0; // position of carry[0] in the sequence
  for (const chunk of deBruijn(alphabet.length, n)) {
    const bytes = Buffer.allocUnsafe(carry.length + chunk.length);
    carry.copy(bytes);
    for (let i = 0; i < chunk.length; i++) bytes[carry.length + i] = alphabet[chunk[i]!]!;
    const at = bytes.indexOf(needle);
    if (at !== -1) return offset + at;
    const keep = Math.min(n - 1, bytes.length);
    offset += bytes.length - keep;
    carry = bytes.subarray(bytes.length - keep);
  }
  return -1;
}
