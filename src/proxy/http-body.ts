/**
 * Where a request body ends (RFC 9112 section 6.3), as pure functions over bytes, so that a proxy
 * forwards exactly the body and no byte of it is lost or invented: `Content-Length` bytes, a
 * chunked body up to its last chunk and trailers, or nothing. The framer is fed the bytes that
 * follow the head and says how many of them belong to the body.
 */
import { type HeaderField, HttpHeadError, headerValues } from './http-head.js';

/** Longest chunk-size line (size, extensions, CRLF) accepted. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** Largest trailer section accepted after the last chunk. */
export const MAX_TRAILER_BYTES = 16 * 1024;

export interface BodyFramer {
  /** `none`, `length` or `chunked`: how the body is framed. */
  readonly kind: 'none' | 'length' | 'chunked';
  /** True once the whole body has been taken. */
  readonly done: boolean;
  /**
   * Of `bytes` (what arrived next), how many belong to the body; the rest follows it. Throws
   * HttpHeadError ('malformed') for a chunked body that breaks the framing.
   */
  take(bytes: Uint8Array): number;
}

/**
 * The framer for a request with these headers. Throws HttpHeadError ('malformed') for framing
 * a proxy must not guess at: a bad or conflicting Content-Length, a transfer coding other than
 * chunked, or both Transfer-Encoding and Content-Length (request smuggling, RFC 9112 6.3).
 */
export function requestBodyFramer(headers: readonly HeaderField[]): BodyFramer {
  const codings = headerValues(headers, 'transfer-encoding')
    .flatMap((value) => value.split(','))
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '');
  const lengths = headerValues(headers, 'content-length')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim());
  if (codings.length > 0) {
    if (lengths.length > 0) {
      throw new HttpHeadError('malformed', 'both Transfer-Encoding and Content-Length');
    }
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new HttpHeadError(
        'malformed',
        `unsupported Transfer-Encoding ${JSON.stringify(codings.join(', '))}`,
      );
    }
    return new ChunkedFramer();
  }
  if (lengths.length === 0) return new LengthFramer('none', 0);
  if (!lengths.every((value) => /^\d{1,15}$/.test(value)) || new Set(lengths).size !== 1) {
    throw new HttpHeadError(
      'malformed',
      `bad Content-Length ${JSON.stringify(lengths.join(', '))}`,
    );
  }
  return new LengthFramer('length', Number(lengths[0]));
}

class LengthFramer implements BodyFramer {
  readonly kind: 'none' | 'length';
  #left: number;
  constructor(kind: 'none' | 'length', length: number) {
    this.kind = kind;
    this.#left = length;
  }
  get done(): boolean {
    return this.#left === 0;
  }
  take(bytes: Uint8Array): number {
    const n = Math.min(this.#left, bytes.length);
    this.#left -= n;
    return n;
  }
}

type ChunkedState =
  | 'size'
  | 'extension'
  | 'size-lf'
  | 'data'
  | 'data-cr'
  | 'data-lf'
  | 'trailer-start'
  | 'trailer'
  | 'final-lf'
  | 'done';

/** `chunk-size [; ext] CRLF data CRLF ... 0 CRLF *(trailer CRLF) CRLF`; bare LF accepted. */
class ChunkedFramer implements BodyFramer {
  readonly kind = 'chunked';
  #state: ChunkedState = 'size';
  #size = 0;
  #digits = 0;
  #lineBytes = 0;
  #trailerBytes = 0;

  get done(): boolean {
    return this.#state === 'done';
  }

  take(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length && this.#state !== 'done') {
      if (this.#state === 'data') {
        const n = Math.min(this.#size, bytes.length - i);
        this.#size -= n;
        i += n;
        if (this.#size === 0) this.#state = 'data-cr';
        continue;
      }
      this.#step(bytes[i]!);
      i++;
    }
    return i;
  }

  #step(byte: number): void {
    switch (this.#state) {
      case 'size': {
        const digit = hexValue(byte);
        if (digit !== -1) {
          if (++this.#digits > 15) this.#fail('chunk size too large');
          this.#size = this.#size * 16 + digit;
          this.#countLine();
        } else if (this.#digits === 0) {
          this.#fail('missing chunk size');
        } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
          this.#state = 'extension';
          this.#countLine();
        } else if (byte === 0x0d) {
          this.#state = 'size-lf';
        } else if (byte === 0x0a) {
          this.#sizeLineDone();
        } else {
          this.#fail('bad chunk size');
        }
        return;
      }
      case 'extension':
        if (byte === 0x0d) this.#state = 'size-lf';
        else if (byte === 0x0a) this.#sizeLineDone();
        else this.#countLine();
        return;
      case 'size-lf':
        if (byte !== 0x0a) this.#fail('chunk size line not ended by CRLF');
        this.#sizeLineDone();
        return;
      case 'data-cr':
        if (byte === 0x0d) this.#state = 'data-lf';
        else if (byte === 0x0a) this.#nextChunk();
        else this.#fail('chunk data longer than its size');
        return;
      case 'data-lf':
        if (byte !== 0x0a) this.#fail('chunk data not ended by CRLF');
        this.#nextChunk();
        return;
      case 'trailer-start':
        if (byte === 0x0d) this.#state = 'final-lf';
        else if (byte === 0x0a) this.#state = 'done';
        else {
          this.#state = 'trailer';
          this.#countTrailer();
        }
        return;
      case 'trailer':
        this.#countTrailer();
        if (byte === 0x0a) this.#state = 'trailer-start';
        return;
      case 'final-lf':
        if (byte !== 0x0a) this.#fail('trailers not ended by CRLF');
        this.#state = 'done';
        return;
      default:
        return;
    }
  }

  #sizeLineDone(): void {
    this.#lineBytes = 0;
    this.#digits = 0;
    this.#state = this.#size === 0 ? 'trailer-start' : 'data';
  }

  #nextChunk(): void {
    this.#size = 0;
    this.#state = 'size';
  }

  #countLine(): void {
    if (++this.#lineBytes > MAX_CHUNK_LINE_BYTES) this.#fail('chunk size line too long');
  }

  #countTrailer(): void {
    if (++this.#trailerBytes > MAX_TRAILER_BYTES) this.#fail('trailers too large');
  }

  #fail(why: string): never {
    throw new HttpHeadError('malformed', `bad chunked body: ${why}`);
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}
