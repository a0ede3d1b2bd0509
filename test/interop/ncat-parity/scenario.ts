// The shape of one ncat-parity scenario, and how outcomes are written down. The table itself is in
// scenarios.ts; the runner is ../ncat-parity.test.ts.
import { createHash } from 'node:crypto';

/** Bytes given to stdin or sent by a peer. */
export type Data = string | Buffer;

/**
 * One event in the conversation, run in order once the first peer is connected. `peer` is the
 * peer's index (default 0): in connect mode there is one peer (the server the tool connects to);
 * in listen mode peer 0 is the client the runner connects first, and `connect` opens more.
 */
export type Step =
  /** Listen mode: another client connects (from 127.0.0.1 unless `host`). A refusal is noted. */
  | { op: 'connect'; peer: number; host?: '127.0.0.1' | '::1' }
  /** The peer sends bytes. */
  | { op: 'send'; data: Data; peer?: number }
  /** The peer half-closes (FIN) and keeps reading. */
  | { op: 'end'; peer?: number }
  /** The peer closes the socket (FIN, or a reset if unread bytes are pending). */
  | { op: 'close'; peer?: number }
  /** The peer resets the connection (RST). */
  | { op: 'reset'; peer?: number }
  /** Wait until the peer has seen the tool's FIN (or the connection ended). */
  | { op: 'waitEof'; peer?: number }
  /** Wait until the peer has received at least this many bytes. */
  | { op: 'waitReceived'; bytes: number; peer?: number }
  /** Wait until the peer's connection is closed by the tool (FIN then close, or a reset). */
  | { op: 'waitClosed'; peer?: number }
  /** Write down whether the peer has seen the tool's FIN by now (`peer0 eof=false`). */
  | { op: 'noteEof'; peer?: number }
  /** Write down where the peer's connection comes from (`peer0 from=127.0.0.1:{source}`). */
  | { op: 'noteSource'; peer?: number }
  /** Write more to the tool's stdin (when it is kept open). */
  | { op: 'stdin'; data: Data }
  /** Close the tool's stdin. */
  | { op: 'stdinEnd' }
  /**
   * Listen mode over IPv4: wait until the tool has accepted this many clients so far (its -v
   * "Connection from" lines), e.g. before stdin data that every client must get.
   */
  | { op: 'waitAccepted'; clients: number }
  /** Wait until the tool has printed at least this many bytes on stdout. */
  | { op: 'waitStdout'; bytes: number }
  /** Close the reading end of the tool's stdout (`| head -c1`); stdout shows as closed. */
  | { op: 'closeStdout' }
  /** Send SIGINT to the tool (the way to end `-k`). */
  | { op: 'interrupt' };

/** What is compared between ncat and sockcat. */
export interface Outcome {
  /** The exit status as a shell sees it: a death by signal N is 128 + N. */
  code: number;
  /** What the tool printed on stdout (see show()). */
  stdout: string;
  /** What each peer received, by index (see show()). */
  received: string[];
  /**
   * stderr without the `-v` lines the runner asks for in listen mode (version, listening,
   * connection from, connected to, statistics): `empty`, or `message` when anything is left.
   * Wording differs by name and is not compared.
   */
  stderr: 'empty' | 'message';
  /** Observations made by `note*` steps and refused connects, in order. */
  notes: string[];
  /** The content of `{file}` after the run (for -o/-x), when the scenario uses it. */
  file?: string;
}

export interface Scenario {
  name: string;
  /**
   * connect: the runner listens and the tool connects to `{port}`; listen: the tool listens
   * (`-v` is added, `{port}` is 0 and read back) and the runner connects; none: no peer at all
   * (bad arguments, `{free}` as a refused port); blackhole: `{port}` is a listener whose backlog
   * is full, so a connect never completes.
   */
  mode: 'connect' | 'listen' | 'none' | 'blackhole';
  /**
   * The tool's arguments. Placeholders: `{port}` (see mode), `{free}` (a loopback port nobody
   * can listen on while the test runs: a refused destination), `{source}` (a port that was free a
   * moment ago, to bind as -p's source port), `{file}` (a file in a fresh
   * temporary directory), `{path}` (a Unix socket path in that directory; see `unix`).
   */
  args: string[];
  /**
   * Unix stream sockets: the runner listens on (connect mode), or connects to (listen mode),
   * `{path}`, a socket path in a fresh temporary directory.
   */
  unix?: boolean;
  /** The peer's address (connect mode: where the runner listens; listen mode: peer 0's source). */
  host?: '127.0.0.1' | '::1';
  /** Listen mode: the stderr line that says the tool is ready (default: the first "Listening on"). */
  ready?: RegExp;
  /** Written to stdin at start. */
  stdin?: Data;
  /** Keep stdin open after `stdin` (until a `stdinEnd` step, or the tool exits). Default: closed. */
  stdinOpen?: boolean;
  /** The conversation. It must lead the tool to exit (peer close, stdin EOF, -i, -q, SIGINT). */
  steps?: Step[];
  /**
   * UDP: the runner's peer is a UDP socket (connect mode: it learns the tool's address from its
   * first datagram, so the tool speaks first; listen mode: it sends to the tool's port). There is
   * no FIN: `end` does nothing and `waitEof` never holds.
   */
  udp?: boolean;
  /** A stale socket file (nothing listening) at `{path}` before the run. */
  staleSocket?: boolean;
  /** Content of `{file}` before the run (for --append-output). */
  fileBefore?: string;
  /**
   * The expected outcome, measured with ncat 7.93 (it pins the scenario: when ncat does not give
   * it, the scenario is wrong). Defaults: code 0, stdout '', every peer received '', stderr
   * 'empty', no notes.
   */
  expect: Partial<Outcome>;
  /**
   * A deliberate difference: sockcat's outcome is `expect` with these fields replaced. The
   * reason is listed in docs/cli.md, "Deliberate differences from ncat 7.93".
   */
  deviation?: { reason: string; sockcat: Partial<Outcome> };
  /** A bug in sockcat, not fixed yet: the row runs and fails, with this description. */
  knownBug?: string;
}

/**
 * Bytes as compared: text when short and printable enough, else the length and a hash (1 MiB
 * does not belong in an assertion message).
 */
export function show(data: Data): string {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (bytes.length <= 256) return bytes.toString('latin1');
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `<${bytes.length} bytes, sha256 ${hash}…>`;
}

/** `length` bytes of a repeating pattern that covers every byte value, NUL included. */
export function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}
