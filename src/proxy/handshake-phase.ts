import type { GateDrop, HandshakeGate } from '../transports/handshake-gate.js';
import type { Tube } from '../tube/tube.js';

/**
 * A proxy client's handshake phase (HTTP request head; SOCKS5 greeting to request) under a
 * HandshakeGate: counted apart from the tunnels, capped per source, dropped when silent past the
 * first-byte deadline or evicted for a newcomer when the gate is full (see HandshakeGate).
 */
export interface HandshakePhase {
  /** The client sent bytes (call after each read; only the first counts). */
  heard(): void;
  /** The handshake is over, either way: its place in the gate is free. Idempotent. */
  end(): void;
  /** Whether the gate dropped the client (its connection is reset): the handler ends quietly. */
  readonly dropped: boolean;
}

const UNGATED: HandshakePhase = { heard() {}, end() {}, dropped: false };

const WHY: Record<GateDrop, string> = {
  'first-byte-timeout': 'sent nothing before the first-byte deadline',
  evicted: 'silent, and its place was given to a new client',
  'per-source': 'too many handshakes from its address at once',
  full: 'too many handshakes at once',
};

/**
 * Enter the handshake phase: undefined when the gate refuses the client (its connection is
 * reset at once and the handler returns).
 */
export function enterHandshake(
  tube: Tube,
  gate: HandshakeGate | undefined,
  log: ((message: string) => void) | undefined,
  label: string,
): HandshakePhase | undefined {
  if (!gate) return UNGATED;
  let dropped = false;
  const ticket = gate.admit(tube.remote?.address ?? '', (why) => {
    dropped = true;
    log?.(`${label} client ${tube.peerName}: dropped (${WHY[why]})`);
    tube.reset();
  });
  if (!ticket) return undefined;
  return {
    heard: () => ticket.heard(),
    end: () => ticket.release(),
    get dropped() {
      return dropped;
    },
  };
}

/** How many tunnels (and forwarded requests) a proxy server runs at once. */
export class TunnelLimit {
  readonly max: number;
  #open = 0;
  constructor(max = Number.POSITIVE_INFINITY) {
    this.max = max;
  }
  /** Take a place; false when all are taken. */
  tryOpen(): boolean {
    if (this.#open >= this.max) return false;
    this.#open++;
    return true;
  }
  close(): void {
    this.#open--;
  }
}
