// The little of DER (ITU-T X.690) that building an X.509 certificate needs: a writer for the
// types a certificate uses, and a reader that walks a structure's elements. Pure functions over
// bytes; certificate.ts puts them together.

/** Tag numbers (universal class) and the context-specific forms certificates use. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** One element: tag, length, then the contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  const length = contents.length;
  let header: number[];
  if (length < 0x80) {
    header = [tag, length];
  } else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), contents]);
}

export function sequence(...elements: Uint8Array[]): Buffer {
  return tlv(TAG.sequence, Buffer.concat(elements));
}

export function set(...elements: Uint8Array[]): Buffer {
  return tlv(TAG.set, Buffer.concat(elements));
}

/** A context-specific constructed element, `[n] EXPLICIT`. */
export function explicit(n: number, element: Uint8Array): Buffer {
  return tlv(0xa0 | n, element);
}

/** A context-specific primitive element, `[n] IMPLICIT` of a primitive type. */
export function implicit(n: number, contents: Uint8Array): Buffer {
  return tlv(0x80 | n, contents);
}

/** A non-negative INTEGER from its big-endian magnitude (a leading zero is added when needed). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = magnitude.subarray(start);
  const padded = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return tlv(TAG.integer, padded.length === 0 ? Buffer.from([0]) : padded);
}

export function smallInteger(value: number): Buffer {
  return unsignedInteger(Buffer.from([value]));
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG.boolean, Buffer.from([value ? 0xff : 0]));
}

export function octetString(contents: Uint8Array): Buffer {
  return tlv(TAG.octetString, contents);
}

/** A BIT STRING of whole bytes, or with `unusedBits` low bits of the last byte not part of it. */
export function bitString(contents: Uint8Array, unusedBits = 0): Buffer {
  return tlv(TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), contents]));
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.utf8String, Buffer.from(text, 'utf8'));
}

export function derNull(): Buffer {
  return Buffer.from([TAG.null, 0]);
}

/** An OBJECT IDENTIFIER from its dotted form (`1.2.840.10045.4.3.2`). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      groups.unshift(0x80 | (value & 0x7f));
    }
    bytes.push(...groups);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

/** X.509 Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280, 4.1.2.5), in UTC. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const two = (n: number) => String(n).padStart(2, '0');
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) {
    return tlv(TAG.utcTime, Buffer.from(`${two(year % 100)}${rest}`, 'latin1'));
  }
  return tlv(TAG.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'latin1'));
}

/** One element read from DER: its tag, its contents, and the whole element's bytes. */
export interface DerElement {
  tag: number;
  contents: Buffer;
  raw: Buffer;
}

/** The element at `offset` of `bytes`; throws on a truncated or indefinite-length encoding. */
export function readElement(bytes: Buffer, offset = 0): DerElement {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('truncated DER element');
  let length = first;
  let headerLength = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[offset + 2 + i];
      if (byte === undefined) throw new Error('truncated DER length');
      length = length * 256 + byte;
    }
    headerLength += count;
  }
  const end = offset + headerLength + length;
  if (end > bytes.length) throw new Error('truncated DER element');
  return {
    tag,
    contents: bytes.subarray(offset + headerLength, end),
    raw: bytes.subarray(offset, end),
  };
}

/** The elements inside a constructed element's contents, in order. */
export function children(contents: Buffer): DerElement[] {
  const elements: DerElement[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const element = readElement(contents, offset);
    elements.push(element);
    offset += element.raw.length;
  }
  return elements;
}
