/**
 * pwntools' DEBUG traffic log: every send and receive as `[DEBUG] Sent 0x6 bytes:` followed by the
 * bytes, indented four spaces: `b'A' * 0x20` for a run of one byte, Python bytes literals line by
 * line when everything is printable, else a hexdump in pwntools' layout (groups of four, a │
 * column, `*` for repeated lines, the total length last). Built only when logging is on.
 */

export interface LogSink {
  write(text: string): unknown;
}

export interface DebugLog {
  sent(data: Buffer): void;
  received(data: Buffer): void;
}

/** Python's string.printable, as bytes. */
function isPrintable(byte: number): boolean {
  return (byte >= 0x20 && byte <= 0x7e) || (byte >= 0x09 && byte <= 0x0d);
}

/** A Python bytes literal (repr(b'...')) of `data`. */
export function pythonBytesRepr(data: Buffer): string {
  const hasSingle = data.includes(0x27);
  const hasDouble = data.includes(0x22);
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const byte of data) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}${quote}`;
}

const HEX_WIDTH = 4 * 11 + 3 * 2; // four groups of "xx xx xx xx", two spaces between groups

/** pwntools' hexdump(): 16 bytes a line, `*` for lines that repeat the one before. */
export function pwnHexdump(data: Buffer): string[] {
  const lines: string[] = [];
  let previous: Buffer | undefined;
  let starred = false;
  for (let offset = 0; offset < data.length; offset += 16) {
    const row = data.subarray(offset, offset + 16);
    if (previous !== undefined && row.length === 16 && row.equals(previous)) {
      if (!starred) lines.push('*');
      starred = true;
      continue;
    }
    starred = false;
    previous = row;
    const hex: string[] = [];
    const text: string[] = [];
    for (let group = 0; group < row.length; group += 4) {
      const bytes = row.subarray(group, group + 4);
      hex.push([...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' '));
      text.push(
        [...bytes]
          .map((byte) => (byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '·'))
          .join(''),
      );
    }
    const position = offset.toString(16).padStart(8, '0');
    lines.push(`${position}  ${hex.join('  ').padEnd(HEX_WIDTH)}  │${text.join('│')}│`);
  }
  lines.push(data.length.toString(16).padStart(8, '0'));
  return lines;
}

/** The lines pwntools' maybe_hexdump() prints for `data` (without the indent). */
export function describeBytes(data: Buffer): string[] {
  if (data.length > 1 && data.every((byte) => byte === data[0])) {
    return [`${pythonBytesRepr(data.subarray(0, 1))} * 0x${data.length.toString(16)}`];
  }
  if (data.every(isPrintable)) {
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      // Python's bytes.splitlines(True) splits after \n, \r, and \r\n.
      if (byte === 0x0a || (byte === 0x0d && data[i + 1] !== 0x0a)) {
        lines.push(pythonBytesRepr(data.subarray(start, i + 1)));
        start = i + 1;
      }
    }
    if (start < data.length) lines.push(pythonBytesRepr(data.subarray(start)));
    return lines;
  }
  return pwnHexdump(data);
}

function render(verb: string, data: Buffer): string {
  const body = describeBytes(data)
    .map((line) => `    ${line}\n`)
    .join('');
  return `[DEBUG] ${verb} 0x${data.length.toString(16)} bytes:\n${body}`;
}

export function createDebugLog(sink: LogSink): DebugLog {
  return {
    sent: (data) => {
      sink.write(render('Sent', data));
    },
    received: (data) => {
      sink.write(render('Received', data));
    },
  };
}

/**
 * SOCKCAT_DEBUG, read when the first tube without a `log` option is made: reading process.env
 * costs microseconds, which a server pays on every connection.
 */
let debugFromEnvironment: boolean | undefined;

/** The log a tube uses: `log` when given, else SOCKCAT_DEBUG=1 turns it on (to stderr). */
export function debugLogFor(log: 'debug' | 'off' | LogSink | undefined): DebugLog | undefined {
  if (log === 'off') return undefined;
  if (log === 'debug') return createDebugLog(process.stderr);
  if (log !== undefined) return createDebugLog(log);
  debugFromEnvironment ??= process.env['SOCKCAT_DEBUG'] === '1';
  return debugFromEnvironment ? createDebugLog(process.stderr) : undefined;
}
