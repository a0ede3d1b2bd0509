/**
 * The in-band window size of --pty-resize, a pure wire format. The framing is Telnet's NAWS
 * (RFC 1073), in one direction only, from the --raw client to the -e/-c --pty side:
 *
 * - a window size is `IAC SB NAWS <cols: 16 bits> <rows: 16 bits> IAC SE` (255 250 31 … 255 240),
 *   with a 255 inside the four size bytes doubled, as RFC 855 asks;
 * - every data byte 255 is sent doubled (`IAC IAC`), so a size frame can never be read from data,
 *   nor data from a frame.
 *
 * Both ends must use --pty-resize: the decoder undoes exactly what the encoder does. Any other
 * byte after an IAC (which the encoder never sends) is passed on as data, IAC included, so that a
 * peer speaking something else loses no byte.
 */
import type { PtySize } from '../tube/child-stream.js';

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const NAWS = 0x1f;

/** The frame announcing a window of `cols` x `rows` (each 0 to 65535; 0 means unknown). */
export function encodeWindowSize(size: PtySize): Buffer {
  const out: number[] = [IAC, SB, NAWS];
  for (const value of [size.cols, size.rows]) {
    for (const byte of [(value >> 8) & 0xff, value & 0xff]) {
      out.push(byte);
      if (byte === IAC) out.push(IAC);
    }
  }
  out.push(IAC, SE);
  return Buffer.from(out);
}

/** Data as it goes on the wire: each byte 255 doubled (the same buffer when there is none). */
export function escapeData(chunk: Buffer): Buffer {
  let count = 0;
  for (let at = chunk.indexOf(IAC); at !== -1; at = chunk.indexOf(IAC, at + 1)) count++;
  if (count === 0) return chunk;
  const out = Buffer.allocUnsafe(chunk.length + count);
  let to = 0;
  for (const byte of chunk) {
    out[to++] = byte;
    if (byte === IAC) out[to++] = IAC;
  }
  return out;
}

export interface ResizeDecoded {
  /** The data bytes, unescaped. */
  data: Buffer;
  /** The window sizes announced in this chunk, in order (sizes with a 0 are left out). */
  sizes: PtySize[];
}

/**
 * An incremental decoder: feed it the received chunks in order, however they were split; it
 * returns the data and the window sizes they carried.
 */
export function createResizeDecoder(): (chunk: Buffer) => ResizeDecoded {
  // 'data'; 'iac' after an IAC in data; 'sb' after IAC SB; 'size' reading the four bytes
  // (`escaped` after an IAC among them); 'end' expecting IAC; 'se' expecting SE.
  let state: 'data' | 'iac' | 'sb' | 'size' | 'end' | 'se' = 'data';
  let size: number[] = [];
  let escaped = false;
  return (chunk) => {
    // Fast path: plain data with no IAC at all.
    if (state === 'data' && chunk.indexOf(IAC) === -1) return { data: chunk, sizes: [] };
    const out: number[] = [];
    const sizes: PtySize[] = [];
    /** Not a frame after all: what was held goes out as data. */
    const giveBack = (held: number[]) => {
      for (const byte of held) out.push(byte);
      state = 'data';
    };
    for (const byte of chunk) {
      switch (state) {
        case 'data':
          if (byte === IAC) state = 'iac';
          else out.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            out.push(IAC);
            state = 'data';
          } else if (byte === SB) state = 'sb';
          else giveBack([IAC, byte]);
          break;
        case 'sb':
          if (byte === NAWS) {
            state = 'size';
            size = [];
            escaped = false;
          } else giveBack([IAC, SB, byte]);
          break;
        case 'size':
          if (escaped) {
            escaped = false;
            if (byte !== IAC) {
              giveBack([IAC, SB, NAWS, ...escapeBytes(size), IAC, byte]);
              break;
            }
            size.push(IAC);
          } else if (byte === IAC) {
            escaped = true;
            break;
          } else size.push(byte);
          if (size.length === 4) state = 'end';
          break;
        case 'end':
          if (byte === IAC) state = 'se';
          else giveBack([IAC, SB, NAWS, ...escapeBytes(size), byte]);
          break;
        case 'se':
          if (byte === SE) {
            const cols = (size[0]! << 8) | size[1]!;
            const rows = (size[2]! << 8) | size[3]!;
            if (cols > 0 && rows > 0) sizes.push({ cols, rows });
            state = 'data';
          } else giveBack([IAC, SB, NAWS, ...escapeBytes(size), IAC, byte]);
          break;
      }
    }
    return { data: Buffer.from(out), sizes };
  };
}

function escapeBytes(bytes: number[]): number[] {
  return bytes.flatMap((byte) => (byte === IAC ? [IAC, IAC] : [byte]));
}
