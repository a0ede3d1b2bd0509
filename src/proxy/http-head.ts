/**
 * HTTP/1.x message heads (status or request line plus header fields) as pure functions over bytes,
 * for the CONNECT client and the HTTP proxy server. Both sides are untrusted: a head larger than
 * `maxBytes` or with more than `maxHeaders` fields is refused, and nothing is decoded beyond
 * latin1 (one character per byte).
 */

/** Response heads larger than this are refused (ncat's own cap is in the same range). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Header fields beyond this count are refused. */
export const MAX_HEADER_FIELDS = 100;
/** A request line (method, target, version) longer than this is refused as a URI too long. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;

export interface HeadLimits {
  maxBytes?: number;
  maxHeaders?: number;
  /** Requests only: the longest request line, its line ending excluded. */
  maxLineBytes?: number;
}

/** A header field as received: name in its original case, value trimmed. */
export type HeaderField = readonly [name: string, value: string];

export interface HttpResponseHead {
  /** `1.0` or `1.1`. */
  version: string;
  statusCode: number;
  reason: string;
  headers: HeaderField[];
  /** Bytes the head took, blank line included; what follows belongs to the tunnel. */
  headLength: number;
}

export interface HttpRequestHead {
  method: string;
  /** The request target as sent: `host:port` for CONNECT, an absolute URI for a proxy GET. */
  target: string;
  version: string;
  headers: HeaderField[];
  headLength: number;
}

/**
 * Why bytes are not an HTTP head: `line-too-long` (the request line is over its cap, HTTP 414),
 * `too-large` (the whole head, 413), `malformed` (400). The message is safe to show (peer bytes
 * are escaped).
 */
export type HttpHeadErrorReason = 'line-too-long' | 'too-large' | 'malformed';

export class HttpHeadError extends Error {
  readonly reason: HttpHeadErrorReason;
  constructor(reason: HttpHeadErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
  override get name(): string {
    return 'HttpHeadError';
  }
}

/**
 * Parse a response head from the start of `bytes`: undefined while the blank line that ends it
 * has not arrived (and the cap is not reached), else the head. Throws HttpHeadError.
 */
export function parseResponseHead(
  bytes: Uint8Array,
  limits: HeadLimits = {},
): HttpResponseHead | undefined {
  const lines = splitHead(bytes, limits);
  if (lines === undefined) return undefined;
  const statusLine = lines.lines[0]!;
  const match = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match || hasControl(match[3] ?? ''))
    throw new HttpHeadError('malformed', `bad status line ${quote(statusLine)}`);
  return {
    version: match[1]!,
    statusCode: Number(match[2]),
    reason: (match[3] ?? '').trim(),
    headers: parseFields(lines.lines.slice(1), limits),
    headLength: lines.headLength,
  };
}

/** Parse a request head the same way (what a client sends sockcat's HTTP proxy server). */
export function parseRequestHead(
  bytes: Uint8Array,
  limits: HeadLimits = {},
): HttpRequestHead | undefined {
  const maxLine = limits.maxLineBytes ?? MAX_REQUEST_LINE_BYTES;
  const firstLineEnd = bytes.subarray(0, maxLine + 2).indexOf(0x0a);
  const lineLength =
    firstLineEnd === -1 ? bytes.length : firstLineEnd - (bytes[firstLineEnd - 1] === 0x0d ? 1 : 0);
  if (lineLength > maxLine) {
    throw new HttpHeadError('line-too-long', `request line longer than ${maxLine} bytes`);
  }
  const lines = splitHead(bytes, limits);
  if (lines === undefined) return undefined;
  const requestLine = lines.lines[0]!;
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/(\d\.\d)$/.exec(requestLine);
  if (!match) throw new HttpHeadError('malformed', `bad request line ${quote(requestLine)}`);
  return {
    method: match[1]!,
    target: match[2]!,
    version: match[3]!,
    headers: parseFields(lines.lines.slice(1), limits),
    headLength: lines.headLength,
  };
}

/** Every value of a header (case-insensitive name), in order. */
export function headerValues(headers: readonly HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([field]) => field.toLowerCase() === lower).map(([, value]) => value);
}

/** The head's lines without their endings (CRLF, or a bare LF as lenient peers send). */
function splitHead(
  bytes: Uint8Array,
  limits: HeadLimits,
): { lines: string[]; headLength: number } | undefined {
  const maxBytes = limits.maxBytes ?? MAX_HEAD_BYTES;
  const end = findHeadEnd(bytes, maxBytes);
  if (end === -1) {
    if (bytes.length >= maxBytes) {
      throw new HttpHeadError('too-large', `head larger than ${maxBytes} bytes`);
    }
    return undefined;
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  // The terminator contributed one or two empty strings at the end.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new HttpHeadError('malformed', 'empty head');
  return { lines, headLength: end };
}

/**
 * Offset just past the blank line ending the head, or -1. Only the first `maxBytes` are searched,
 * so a peer sending endless header lines costs at most that much.
 */
function findHeadEnd(bytes: Uint8Array, maxBytes: number): number {
  const limit = Math.min(bytes.length, maxBytes);
  for (let i = 0; i < limit; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (i + 1 < limit && bytes[i + 1] === 0x0a) return i + 2;
    if (i + 2 < limit && bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * The field lines as name/value pairs. A line that starts with a space or tab continues the one
 * before (obs-fold, RFC 9112 section 5.2): the two are joined by one space, as ncat does.
 */
function parseFields(lines: readonly string[], limits: HeadLimits): HeaderField[] {
  const maxHeaders = limits.maxHeaders ?? MAX_HEADER_FIELDS;
  const fields: Array<[string, string]> = [];
  for (const line of lines) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last === undefined || hasControl(line)) {
        throw new HttpHeadError('malformed', `bad header line ${quote(line)}`);
      }
      const more = line.trim();
      if (more !== '') last[1] = last[1] === '' ? more : `${last[1]} ${more}`;
      continue;
    }
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)$/.exec(line);
    if (!match || hasControl(match[2]!))
      throw new HttpHeadError('malformed', `bad header line ${quote(line)}`);
    if (fields.length === maxHeaders) {
      throw new HttpHeadError('too-large', `more than ${maxHeaders} header fields`);
    }
    fields.push([match[1]!, match[2]!.trim()]);
  }
  return fields;
}

/** Control characters other than tab (forbidden in reason phrases and field values). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** A peer's line for a message: JSON-quoted (control bytes escaped), at most 80 characters. */
export function quote(text: string): string {
  const short = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return JSON.stringify(short).replace(/[\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}
