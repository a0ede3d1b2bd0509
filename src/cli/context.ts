import type { EventSink } from './events.js';
import type { CliIO } from './io.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import type { Plan } from './plan.js';
import type { SessionLog } from './session-log.js';

/** What every mode runs with: the parsed options, the outside world, and the run's sinks. */
export interface Context {
  options: Options;
  /** The layers the run is made of (plan.ts): the modes follow it, not the options. */
  plan: Plan;
  io: CliIO;
  log: Log;
  /** -o / -x taps; undefined when neither is given. */
  sessionLog: SessionLog | undefined;
  /** --json events; a disabled sink when not given. */
  events: EventSink;
}
