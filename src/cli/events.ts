import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { errorReason } from '../errors.js';
import { openFailure } from './option-file.js';

/** Bumped when an event's meaning or a field's type changes; new fields do not bump it. */
export const EVENTS_SCHEMA_VERSION = 1;

/** Where a socket is: an IP endpoint, or a Unix socket path. */
export type EventEndpoint = { address: string; port: number } | { path: string };

export type Transport = 'tcp' | 'udp' | 'unix' | 'unix-dgram' | 'websocket';

/** TLS details of a session (connected/accepted with --ssl). */
export interface EventTls {
  protocol: string;
  cipher: string;
  alpn?: string;
  /** SHA-256 fingerprint of the peer's certificate, colon hex (absent when it sent none). */
  fingerprint?: string;
  /** The peer passed --ssl-verify or --ssl-pin. */
  verified: boolean;
}

/**
 * One line of `--json` output. Every event also carries `v` (the schema version) and `time`
 * (ISO 8601). Documented in docs/json-events.md; the same events in every mode.
 */
export type CliEvent =
  | { event: 'listening'; transport: Transport; local: EventEndpoint }
  | {
      event: 'connected';
      transport: Transport;
      id: number;
      local?: EventEndpoint;
      /** Through proxies: the destination as given (its address may be a host name). */
      remote: EventEndpoint;
      /** The proxy chain, first hop first (`socks5://127.0.0.1:1080`), when --proxy was given. */
      proxy?: string[];
      tls?: EventTls;
    }
  | {
      event: 'accepted';
      transport: Transport;
      id: number;
      local?: EventEndpoint;
      remote: EventEndpoint;
      tls?: EventTls;
    }
  | { event: 'denied'; transport: Transport; remote: EventEndpoint; reason: string }
  | {
      event: 'closed';
      id: number;
      /** Why the session ended: peer-eof, stdin-eof, idle-timeout, reset, aborted, ... */
      reason: string;
      sent: number;
      received: number;
      durationMs: number;
    }
  | { event: 'exec'; id: number; command: string; pid: number | undefined }
  | { event: 'exited'; id: number; code: number | null; signal: string | null }
  | {
      event: 'scan';
      host: string;
      port: number;
      /** 'open|filtered': a UDP port that neither answered nor refused (-z -u). */
      state: 'open' | 'closed' | 'filtered' | 'open|filtered';
    }
  | {
      event: 'scan-done';
      host: string;
      ports: number;
      open: number;
      closed: number;
      filtered: number;
      durationMs: number;
    }
  | {
      event: 'error';
      code: string;
      message: string;
      exitStatus: number;
      /** The system's or OpenSSL's code underneath (`ENOENT`, `ERR_OSSL_PEM_NO_START_LINE`). */
      cause?: string;
    }
  /** With --json on stderr: a message that would otherwise be a human-readable line there. */
  | { event: 'log'; level: number; message: string }
  | {
      event: 'connect-failed';
      /** The session the connection was for (--forward); absent in connect mode. */
      id?: number;
      /** Where it was going: `host:port`, a URL, `unix:/path`. */
      target: string;
      /** 1 for the first attempt. */
      attempt: number;
      code: string;
      message: string;
      /** Milliseconds before the next attempt; absent when there is none. */
      retryIn?: number;
    }
  | {
      event: 'connected-upstream';
      id: number;
      target: string;
      attempt: number;
      remote?: EventEndpoint;
      local?: EventEndpoint;
    }
  | {
      event: 'websocket-closed';
      id?: number;
      /** The close code (1000 normal, 1001 going away, 1006: no close frame came). */
      code: number;
      reason: string;
      /** Who sent the first Close frame: peer, local, or none (the connection just ended). */
      initiator: 'peer' | 'local' | 'none';
    };

/** Receives events; a no-op sink when --json is not given. */
export interface EventSink {
  readonly enabled: boolean;
  emit(event: CliEvent): void;
  /** A fresh connection id (1, 2, ...), unique within the run. */
  nextId(): number;
  close(): void;
}

/**
 * The sink for `--json[=FILE]`: NDJSON on stderr (FILE empty or '-') or appended to FILE, one
 * write per event so lines never interleave. `target` undefined: events are counted, not written.
 */
export function createEventSink(target: string | undefined, stderr: Writable): EventSink {
  let id = 0;
  const nextId = () => ++id;
  if (target === undefined) {
    return { enabled: false, emit() {}, nextId, close() {} };
  }
  let fd: number | undefined;
  if (target !== '' && target !== '-') {
    try {
      fd = openSync(target, 'a', 0o644);
    } catch (error) {
      throw openFailure(target, '--json', error);
    }
  }
  return {
    enabled: true,
    nextId,
    emit(event) {
      const line = `${JSON.stringify({ v: EVENTS_SCHEMA_VERSION, time: new Date().toISOString(), ...event })}\n`;
      if (fd === undefined) stderr.write(line);
      else writeSync(fd, line);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * The `reason` of a `closed` event for a session that ended with an error: `idle-timeout` (a
 * session's only timer is -i), `reset`, `refused`, `aborted`, or the error's code in lower case
 * without its prefix (`closed`, `exec`, ...).
 */
export function closeReasonOf(error: unknown): string {
  return errorReason(error);
}
