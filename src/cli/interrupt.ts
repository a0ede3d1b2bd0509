import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';

/**
 * The signals whose default action ends the process, that a process may catch: each one stops a
 * run the way SIGINT does. (SIGUSR1 is left to Node, which starts its inspector on it; SIGPIPE is
 * ignored by Node; SIGKILL and SIGSTOP cannot be caught.)
 */
export const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGTERM',
  'SIGUSR2',
  'SIGALRM',
  'SIGVTALRM',
  'SIGPROF',
  'SIGXCPU',
  'SIGXFSZ',
];

/** What a run was interrupted by: the abort reason of the CLI's signal. */
export class Interrupt extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }

  /** The shell's status for a process ended by this signal: 128 + its number. */
  get status(): number {
    return 128 + (constants.signals[this.signal] ?? 2);
  }
}

/** The exit status for an aborted run: 128+N for the signal that aborted it, else 130 (SIGINT). */
export function interruptStatus(signal: AbortSignal | undefined): number {
  const reason: unknown = signal?.reason;
  return reason instanceof Interrupt ? reason.status : 130;
}

interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): never;
}

/**
 * Abort `controller` on the first of `signals`; a second signal exits at once with its status.
 * The controller's signal is shared by everything a run waits on (one listener per client or
 * probe, each removed when it is done), so Node's leak warning at 11 listeners does not apply.
 */
export function interruptOn(
  source: SignalSource,
  signals: readonly NodeJS.Signals[],
  controller: AbortController,
): void {
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal);
  for (const name of signals) {
    source.once(name, () => {
      if (controller.signal.aborted) source.exit(new Interrupt(name).status);
      controller.abort(new Interrupt(name));
      // Once is not enough: a second signal of the same kind must also find a handler.
      source.once(name, () => source.exit(new Interrupt(name).status));
    });
  }
}
