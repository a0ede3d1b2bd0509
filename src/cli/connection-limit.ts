import type { Endpoint } from '../address/endpoint.js';
import { reportDenied } from './access.js';
import type { Context } from './context.js';
import type { Transport } from './events.js';

/**
 * The one `-m` of the listeners that serve many clients (`-l -k`, `--broker`, `--chat`): at most
 * `-m` sessions at once. A client beyond it is turned away with ncat's `-v` line, `New connection
 * denied: connection limit reached (N)`, and a `denied` event (reason `max-conns`); the caller
 * then closes it (with FIN, as ncat: accepted, then closed).
 */
export class ConnectionLimit {
  readonly max: number;
  #ctx: Context;
  #transport: Transport;
  #active = 0;

  constructor(ctx: Context, transport: Transport = 'tcp') {
    this.#ctx = ctx;
    this.#transport = transport;
    this.max = ctx.options.maxConns;
  }

  /** Sessions holding a place now. */
  get active(): number {
    return this.#active;
  }

  /** Take a place for a new client; false (and the denial reported) when all are taken. */
  tryEnter(remote: Endpoint | undefined): boolean {
    if (this.#active >= this.max) {
      reportConnectionLimit(this.#ctx, remote, this.#active, this.#transport);
      return false;
    }
    this.#active++;
    return true;
  }

  /** A session that tryEnter() let in has ended: its place is free. */
  leave(): void {
    this.#active--;
  }
}

/**
 * ncat's words for a client turned away by `-m` (N: the sessions open, which is the limit), and
 * the `denied` event; for counts kept elsewhere too (the forward io's).
 */
export function reportConnectionLimit(
  ctx: Context,
  remote: Endpoint | undefined,
  open: number,
  transport: Transport = 'tcp',
): void {
  reportDenied(ctx, remote, {
    transport,
    why: `connection limit reached (${open})`,
    reason: 'max-conns',
    named: false,
  });
}
