import type { Endpoint, Tube } from '../tube/tube.js';

/** What a --js-exec module's default export learns about its connection. */
export interface JsExecInfo {
  /** The peer (for a Unix socket, family 0 with the path as address). */
  remote: Endpoint | undefined;
  /** This end of the connection. */
  local: Endpoint | undefined;
  /** 'TCP', 'UDP', 'UNIX' or 'UNIX-DGRAM' (SOCKCAT_PROTO). */
  proto: string;
  /** The variables an -e child gets: NCAT_* and SOCKCAT_* (REMOTE_ADDR, REMOTE_PORT, ...). */
  env: Record<string, string>;
  /** Aborted when sockcat ends the connection: idle timeout (-i), interrupt, shutdown. */
  signal: AbortSignal;
}

/**
 * The contract of a --js-exec module: its default export, called once per connection. When it
 * returns (or its promise resolves) the connection is closed gracefully; when it throws, the
 * error is reported in one line and the connection is reset.
 */
export type JsExecHandler = (tube: Tube, info: JsExecInfo) => void | Promise<void>;
