/**
 * Telnet negotiation (RFC 854/855) for `-t`: a pure, incremental parser that answers every
 * request with a refusal, as ncat does, and hands back the data with the commands taken out.
 * Commands may be split anywhere across chunks: the state carries over. Nothing is buffered
 * (subnegotiation contents are skipped), so a peer cannot grow memory with it.
 */

/** Command bytes, as RFC 854 names them. */
export const TelnetCommand = {
  SE: 240,
  NOP: 241,
  DataMark: 242,
  Break: 243,
  InterruptProcess: 244,
  AbortOutput: 245,
  AreYouThere: 246,
  EraseCharacter: 247,
  EraseLine: 248,
  GoAhead: 249,
  SB: 250,
  WILL: 251,
  WONT: 252,
  DO: 253,
  DONT: 254,
  IAC: 255,
} as const;

const { SE, SB, WILL, WONT, DO, DONT, IAC } = TelnetCommand;

export interface TelnetOutput {
  /** The bytes of the chunk that are data: commands removed, IAC IAC turned into one 0xFF. */
  data: Buffer;
  /** What to send back: IAC WONT x for each DO x, IAC DONT x for each WILL x (may be empty). */
  reply: Buffer;
}

export interface TelnetParser {
  feed(chunk: Buffer): TelnetOutput;
}

type State =
  | { kind: 'data' }
  | { kind: 'iac' }
  /** After IAC WILL/WONT/DO/DONT: the next byte is the option. */
  | { kind: 'option'; verb: number }
  | { kind: 'sb' }
  | { kind: 'sb-iac' };

/**
 * A parser for one connection's incoming bytes. Refuses every option: DO x gets WONT x, WILL x
 * gets DONT x; DONT, WONT, subnegotiations (IAC SB ... IAC SE) and the other commands (NOP, GA,
 * ...) get no answer. Inside a subnegotiation, IAC followed by anything but SE or IAC ends it and
 * is read as a command (a malformed peer cannot swallow the rest of the stream).
 */
export function createTelnetParser(): TelnetParser {
  let state: State = { kind: 'data' };
  return {
    feed(chunk) {
      // Fast path: no IAC and nothing pending.
      if (state.kind === 'data' && !chunk.includes(IAC)) {
        return { data: chunk, reply: Buffer.alloc(0) };
      }
      const data = Buffer.allocUnsafe(chunk.length);
      let length = 0;
      const reply: number[] = [];
      const command = (byte: number): State => {
        if (byte === IAC) {
          data[length++] = IAC;
          return { kind: 'data' };
        }
        if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
          return { kind: 'option', verb: byte };
        }
        if (byte === SB) return { kind: 'sb' };
        // NOP, GA, DM, a stray SE, or an unknown command: nothing to answer.
        return { kind: 'data' };
      };
      for (const byte of chunk) {
        switch (state.kind) {
          case 'data':
            if (byte === IAC) state = { kind: 'iac' };
            else data[length++] = byte;
            break;
          case 'iac':
            state = command(byte);
            break;
          case 'option':
            if (state.verb === DO) reply.push(IAC, WONT, byte);
            else if (state.verb === WILL) reply.push(IAC, DONT, byte);
            state = { kind: 'data' };
            break;
          case 'sb':
            if (byte === IAC) state = { kind: 'sb-iac' };
            break;
          case 'sb-iac':
            if (byte === SE) state = { kind: 'data' };
            else if (byte === IAC) state = { kind: 'sb' };
            else state = command(byte);
            break;
        }
      }
      return { data: data.subarray(0, length), reply: Buffer.from(reply) };
    },
  };
}
