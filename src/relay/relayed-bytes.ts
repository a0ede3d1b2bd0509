/** The byte counts of relays that failed, by their error. */
const countsOnFailure = new WeakMap<Error, RelayedBytes>();

/** Bytes a relay wrote to the peer (`sent`) and wrote out locally (`received`). */
export interface RelayedBytes {
  sent: number;
  received: number;
}

/** Remember what a relay had moved when it failed with `error` (relayStdio, execRelay). */
export function recordRelayedBytes(error: Error, counts: RelayedBytes): void {
  countsOnFailure.set(error, counts);
}

/**
 * What a relay that rejected with `error` had moved by then (on the native path, what the
 * addon's copies wrote, which the tube never sees); undefined for an error no relay recorded.
 */
export function relayedBytes(error: unknown): RelayedBytes | undefined {
  return error instanceof Error ? countsOnFailure.get(error) : undefined;
}
