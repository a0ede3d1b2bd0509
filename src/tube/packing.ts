/**
 * pwntools' packing helpers: p8..p64 turn integers into bytes, u8..u64 bytes into integers, and
 * flat() lays out a payload of integers, strings and bytes. Little-endian unless asked otherwise;
 * 64-bit values are bigints (a JavaScript number holds 53 bits exactly).
 */
import { ArgumentError } from '../errors.js';
import { cyclicBytes, type Endian } from './cyclic.js';
import { describe } from './describe-value.js';
import { encodeText, type TextEncoding } from './text.js';

export type { Endian };

export interface PackOptions {
  /** Byte order. Default 'little'. */
  endian?: Endian;
}

export interface UnpackOptions extends PackOptions {
  /** Read the value as two's complement. Default false. */
  signed?: boolean;
}

type Bits = 8 | 16 | 32 | 64;

function checkEndian(endian: unknown, what: string): Endian {
  if (endian === undefined || endian === 'little') return 'little';
  if (endian === 'big') return 'big';
  throw new ArgumentError(
    `${what}: endian must be 'little' or 'big', not ${JSON.stringify(endian)}`,
  );
}

/**
 * The value as an unsigned bigint of `bits` bits. Accepts -2^(bits-1) .. 2^bits - 1, as pwntools'
 * p32 does: negative values are packed in two's complement.
 */
function toUnsigned(value: unknown, bits: Bits, what: string): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else
    throw new ArgumentError(`${what} needs an integer (number or bigint), not ${describe(value)}`);
  const size = 1n << BigInt(bits);
  if (big < -(size >> 1n) || big >= size) {
    throw new ArgumentError(
      `${what}: ${big} does not fit in ${bits} bits (${-(size >> 1n)} to ${size - 1n})`,
    );
  }
  return big < 0n ? big + size : big;
}

function pack(value: unknown, bits: Bits, options: PackOptions | undefined, what: string): Buffer {
  const endian = checkEndian(options?.endian, what);
  const unsigned = toUnsigned(value, bits, what);
  const out = Buffer.allocUnsafe(bits / 8);
  if (bits === 64) {
    if (endian === 'little') out.writeBigUInt64LE(unsigned);
    else out.writeBigUInt64BE(unsigned);
  } else if (bits === 8) {
    out[0] = Number(unsigned);
  } else {
    out.writeUIntLE(Number(unsigned), 0, bits / 8);
    if (endian === 'big') out.reverse();
  }
  return out;
}

function bytesOf(data: unknown, bytes: number, what: string): Buffer {
  if (!(data instanceof Uint8Array)) {
    throw new ArgumentError(
      `${what} needs ${bytes} bytes (a Buffer or Uint8Array), not ${describe(data)}`,
    );
  }
  if (data.byteLength !== bytes) {
    throw new ArgumentError(`${what} needs exactly ${bytes} bytes, got ${data.byteLength}`);
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function unpackNumber(
  data: unknown,
  bits: 8 | 16 | 32,
  options: UnpackOptions | undefined,
): number {
  const what = `u${bits}`;
  const endian = checkEndian(options?.endian, what);
  const buffer = bytesOf(data, bits / 8, what);
  const signed = options?.signed === true;
  if (endian === 'little') {
    return signed ? buffer.readIntLE(0, bits / 8) : buffer.readUIntLE(0, bits / 8);
  }
  return signed ? buffer.readIntBE(0, bits / 8) : buffer.readUIntBE(0, bits / 8);
}

export const p8 = (value: number | bigint, options?: PackOptions): Buffer =>
  pack(value, 8, options, 'p8');
export const p16 = (value: number | bigint, options?: PackOptions): Buffer =>
  pack(value, 16, options, 'p16');
export const p32 = (value: number | bigint, options?: PackOptions): Buffer =>
  pack(value, 32, options, 'p32');
export const p64 = (value: number | bigint, options?: PackOptions): Buffer =>
  pack(value, 64, options, 'p64');

export const u8 = (data: Uint8Array, options?: UnpackOptions): number =>
  unpackNumber(data, 8, options);
export const u16 = (data: Uint8Array, options?: UnpackOptions): number =>
  unpackNumber(data, 16, options);
export const u32 = (data: Uint8Array, options?: UnpackOptions): number =>
  unpackNumber(data, 32, options);

/** Eight bytes as a bigint (a number cannot hold 64 bits). */
export function u64(data: Uint8Array, options?: UnpackOptions): bigint {
  const endian = checkEndian(options?.endian, 'u64');
  const buffer = bytesOf(data, 8, 'u64');
  if (options?.signed === true) {
    return endian === 'little' ? buffer.readBigInt64LE() : buffer.readBigInt64BE();
  }
  return endian === 'little' ? buffer.readBigUInt64LE() : buffer.readBigUInt64BE();
}

/** What flat() lays out: integers as words, strings and bytes as they are, arrays in order. */
export type FlatValue =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly FlatValue[]
  | { readonly [offset: number]: FlatValue };

export interface FlatOptions extends PackOptions {
  /** Bits per integer: 8, 16, 32 or 64. Default 64. */
  wordSize?: Bits;
  /**
   * How strings become bytes. Default 'latin1' (one byte per character, so '\xff' is 0xff); a
   * character above U+00FF is an ArgumentError then. 'utf8' encodes as UTF-8.
   */
  encoding?: TextEncoding;
  /**
   * Bytes that fill the gaps of an offset map ({ 0x20: value }), repeated. Default: the cyclic()
   * pattern, as pwntools does, so that a crash address tells which gap it came from.
   */
  filler?: string | Uint8Array;
}

/**
 * Lay out a payload (pwntools' flat()). Integers are packed as `wordSize`-bit words, strings and
 * bytes are copied, arrays are flattened in order, and an object maps byte offsets to values
 * (`{ 0: 'AAAA', 0x20: 0xdeadbeef }`), the gaps filled with `filler`.
 */
export function flat(values: FlatValue | readonly FlatValue[], options: FlatOptions = {}): Buffer {
  const wordSize = options.wordSize ?? 64;
  if (wordSize !== 8 && wordSize !== 16 && wordSize !== 32 && wordSize !== 64) {
    throw new ArgumentError(`flat: wordSize must be 8, 16, 32 or 64, not ${describe(wordSize)}`);
  }
  const endian = checkEndian(options.endian, 'flat');
  const encoding = options.encoding ?? 'latin1';
  let filler: Buffer | undefined;
  const fill = (length: number, at: number): Buffer => {
    if (filler === undefined) {
      filler =
        options.filler === undefined
          ? undefined
          : typeof options.filler === 'string'
            ? encodeText(options.filler, encoding, 'flat filler')
            : Buffer.from(options.filler);
    }
    if (filler === undefined) return cyclicBytes(at + length).subarray(at);
    if (filler.length === 0) throw new ArgumentError('flat: filler is empty');
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = filler[(at + i) % filler.length]!;
    return out;
  };
  const parts: Buffer[] = [];
  let length = 0;
  const add = (value: unknown, depth: number): void => {
    if (depth > 64) throw new ArgumentError('flat: values nest more than 64 levels deep');
    if (typeof value === 'number' || typeof value === 'bigint') {
      const word = pack(value, wordSize, { endian }, `flat word (${wordSize} bits)`);
      parts.push(word);
      length += word.length;
    } else if (typeof value === 'string') {
      const bytes = encodeText(value, encoding, 'flat');
      parts.push(bytes);
      length += bytes.length;
    } else if (value instanceof Uint8Array) {
      parts.push(Buffer.from(value));
      length += value.byteLength;
    } else if (Array.isArray(value)) {
      for (const item of value) add(item, depth + 1);
    } else if (value !== null && typeof value === 'object') {
      const start = length;
      const entries = Object.entries(value as Record<string, unknown>)
        .map(([key, item]) => {
          const offset = Number(key);
          if (!Number.isSafeInteger(offset) || offset < 0 || String(offset) !== key) {
            throw new ArgumentError(`flat: offset ${JSON.stringify(key)} is not a byte offset`);
          }
          return [offset, item] as const;
        })
        .sort((a, b) => a[0] - b[0]);
      for (const [offset, item] of entries) {
        const here = length - start;
        if (offset < here) {
          throw new ArgumentError(
            `flat: offset ${offset} overlaps the value before it (which ends at ${here})`,
          );
        }
        if (offset > here) {
          const gap = fill(offset - here, here);
          parts.push(gap);
          length += gap.length;
        }
        add(item, depth + 1);
      }
    } else {
      throw new ArgumentError(
        `flat takes numbers, bigints, strings, bytes, arrays and offset maps, not ${describe(value)}`,
      );
    }
  };
  add(values, 0);
  return Buffer.concat(parts, length);
}
