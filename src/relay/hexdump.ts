const BYTES_PER_LINE = 16;

/**
 * ncat's -x layout for one chunk: a 4-digit hex offset from the start of the chunk, 16 bytes in
 * hex (an extra space after the eighth), then the bytes as text with every byte outside
 * 0x21-0x7e (the space included) shown as ".". Pure.
 *
 *     0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              hello.world.
 */
export function formatHexDump(chunk: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < chunk.length; offset += BYTES_PER_LINE) {
    const line = chunk.subarray(offset, offset + BYTES_PER_LINE);
    let hex = '';
    let text = '';
    for (let i = 0; i < BYTES_PER_LINE; i++) {
      const byte = line[i];
      hex += byte === undefined ? '   ' : `${byte.toString(16).padStart(2, '0')} `;
      if (i === 7) hex += ' ';
      text +=
        byte === undefined ? ' ' : byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    }
    out += `${(offset & 0xffff).toString(16).padStart(4, '0')}   ${hex} ${text}\n`;
  }
  return out;
}
