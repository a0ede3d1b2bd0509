/**
 * How a tube turns strings into bytes. 'utf8' is the default; 'latin1' maps each character
 * U+0000..U+00FF to one byte (so '\xff' is the byte 0xff), for byte strings in payloads.
 * Node's own latin1 encoder silently keeps the low byte of a wider character; here that is an
 * ArgumentError, because a payload corrupted in silence is worse than one refused.
 */
import { ArgumentError } from '../errors.js';

export type TextEncoding = 'utf8' | 'latin1';

/** Any character above U+00FF. */
const WIDE = /[\u0100-\u{10ffff}]/u;

export function checkEncoding(encoding: unknown, what: string): TextEncoding {
  if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return 'utf8';
  if (encoding === 'latin1' || encoding === 'binary') return 'latin1';
  throw new ArgumentError(
    `${what}: encoding must be 'utf8' or 'latin1', not ${JSON.stringify(encoding)}`,
  );
}

export function encodeText(text: string, encoding: TextEncoding, what: string): Buffer {
  if (encoding === 'latin1') {
    const wide = WIDE.exec(text);
    if (wide) {
      const code = wide[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new ArgumentError(
        `${what}: character U+${code} at index ${wide.index} does not fit in one byte (latin1); send a Buffer or use encoding 'utf8'`,
      );
    }
  }
  return Buffer.from(text, encoding);
}
