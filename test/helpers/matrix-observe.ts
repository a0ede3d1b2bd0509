// What the observed option x mode matrix's observers share (test/helpers/matrix-cells.ts):
// the observer's shape, and the assertions on a driver's exchange.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { MatrixMode } from '../../src/cli/option-matrix.js';
import type { Driver, Exchange, JsonEvent, Script } from './matrix-drivers.js';

/** How an option's effect is seen in a mode: runs the driver and asserts. */
export interface Observer {
  /** Drivers (by name) that do not suit this observation: their cells stay unobserved. */
  except?: readonly string[];
  /** The only drivers (by name) whose exchange has what this observation needs. */
  only?: readonly string[];
  observe(o: Observation): Promise<void>;
}

export interface Observation {
  t: TestContext;
  driver: Driver;
  mode: MatrixMode;
  /** The option's argv as the matrix gives it. */
  argv: readonly string[];
  /** The driver's run without the option (cached per mode). */
  baseline(): Promise<Exchange>;
  /** The driver's run with `argv` (or other argv) in front. */
  run(argv?: readonly string[], script?: Partial<Script>): Promise<Exchange>;
}

export function eventsNamed(run: Exchange, name: string): JsonEvent[] {
  return run.events.filter((event) => event.event === name);
}

export function okRun(run: Exchange, what: string): void {
  assert.ok(
    run.code === 0 || run.signal === 'SIGTERM' || run.code === 143 || run.code === 130,
    `${what}: exit ${run.code ?? run.signal}: ${run.stderr}`,
  );
}

/** The data path the driver's peer exchange shows: both directions delivered. */
export function assertDelivered(run: Exchange, driver: Driver, what: string): void {
  okRun(run, what);
  if (driver.echoes) {
    assert.match(run.received.toString(), /from-peer/, `${what}: the echo reached the peer`);
  } else {
    assert.match(run.received.toString(), /from-stdin/, `${what}: stdin reached the peer`);
    assert.match(run.stdout.toString(), /from-peer/, `${what}: the peer's bytes reached stdout`);
  }
}

/**
 * `observers`, with more drivers (by option) where an observer is scoped to some (`only`): for a
 * family whose drivers have the scripts an observation needs, the drivers' names (the observation
 * applies to them too); or for one whose drivers need an observation of their own, an observer
 * scoped to them (`only`), which observes their cells while the other observer keeps its own.
 */
export function alsoFor(
  observers: Readonly<Record<string, Observer>>,
  extra: Readonly<Record<string, readonly string[] | Observer>>,
): Record<string, Observer> {
  const widened: Record<string, Observer> = { ...observers };
  for (const [option, more] of Object.entries(extra)) {
    const observer = observers[option];
    if (observer?.only === undefined) throw new Error(`${option}: no scoped observer to widen`);
    if (Array.isArray(more)) {
      widened[option] = { ...observer, only: [...observer.only, ...(more as readonly string[])] };
      continue;
    }
    const own = more as Observer;
    const theirs = own.only;
    if (theirs === undefined) throw new Error(`${option}: the added observer names no drivers`);
    widened[option] = {
      ...observer,
      only: [...observer.only, ...theirs],
      observe: (o) => (theirs.includes(o.driver.name) ? own : observer).observe(o),
    };
  }
  return widened;
}
