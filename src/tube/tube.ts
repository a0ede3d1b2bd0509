import type { Duplex } from 'node:stream';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import type { TlsInfo } from '../address/tls-info.js';
import {
  AbortError,
  ArgumentError,
  ClosedError,
  ConnectionResetError,
  describeSystemError,
  EOFError,
  type ErrorContext,
  type Network,
  type Operation,
  SockcatError,
  TimeoutError,
} from '../errors.js';
import { type DebugLog, debugLogFor, type LogSink } from './debug-log.js';
import { describe as describeValue } from './describe-value.js';
import { whenDrained } from './drain.js';
import { endedStream } from './ended-stream.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { plainSocketFd, resumeReading, stopReading } from './socket-fd.js';
import { checkEncoding, encodeText, type TextEncoding } from './text.js';

/** One end of a connection: defined in address/, re-exported with the tube that carries it. */
export type { Endpoint } from '../address/endpoint.js';

export interface TubeOptions {
  /** Default timeout in milliseconds for every recv* call; Infinity (the default) waits forever. */
  timeout?: number;
  /**
   * Received bytes held before the tube stops reading from the transport (backpressure).
   * Default 1 MiB. A single request larger than this still completes: the limit only pauses reads
   * while no request is waiting for more.
   */
  highWaterMark?: number;
  /** Grace period of close() before it destroys the connection, in milliseconds. Default 2000. */
  closeTimeout?: number;
  /**
   * Destroy the connection when nothing was sent or received for this many milliseconds; pending
   * and later operations fail with a TimeoutError. Default: none.
   */
  idleTimeout?: number;
  network?: Network;
  /**
   * This end's address, or a function that finds it on first use (a listener passes one: most
   * handlers never ask, and asking costs a getsockname).
   */
  local?: Endpoint | (() => Endpoint | undefined);
  remote?: Endpoint;
  /** What the TLS handshake negotiated, when the connection is TLS. */
  tls?: TlsInfo;
  /**
   * How strings given to send*, recvUntil and the line calls become bytes: 'utf8' (the default)
   * or 'latin1' (one byte per character, U+0000..U+00FF, so '\xff' is the byte 0xff; a wider
   * character is an ArgumentError rather than a silently corrupted payload).
   */
  encoding?: TextEncoding;
  /** What sendLine appends and recvLine looks for: '\n' (the default) or '\r\n'. */
  newline?: '\n' | '\r\n';
  /**
   * 'debug' prints every send and receive to stderr in pwntools' DEBUG style; a `{ write }` sink
   * gets the same text. Default: off, unless the environment has SOCKCAT_DEBUG=1 ('off' overrides
   * that). When off, nothing is formatted and nothing is checked per chunk beyond one field.
   */
  log?: 'debug' | 'off' | LogSink;
}

/** The lines the line calls take apart: a delimiter list for recvUntil. */
export type Delimiter = string | Uint8Array;

/** Per-call options of every receive method. */
export interface RecvOptions {
  /** Milliseconds; overrides the tube's default timeout. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface RecvUntilOptions extends RecvOptions {
  /** Leave the delimiter out of the result (it is consumed either way). */
  drop?: boolean;
}

export interface RecvRegexResult {
  /** Everything up to and including the match. */
  data: Buffer;
  /** The match, run over the bytes read as latin1 (one character per byte). */
  match: RegExpExecArray;
}

export interface LinesOptions extends RecvOptions {
  /** Leave the newline out of each line. Default true (as readline does). */
  drop?: boolean;
}

type Attempt = (buffer: ReceiveBuffer, eof: boolean) => boolean;

/** What a receive is doing, for messages; a function when building the text costs something. */
type What = string | (() => string);

function describe(what: What): string {
  return typeof what === 'string' ? what : what();
}

interface Waiter {
  /** Tries to complete from the buffer; true when it settled (resolved or rejected). */
  attempt: Attempt;
  fail(error: Error): void;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT = 2000;
const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');
const ITERATION_DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

function viewOf(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function checkCount(value: unknown, what: string, allowInfinity = false): number {
  if (typeof value === 'number' && value >= 0) {
    if (Number.isSafeInteger(value)) return value;
    if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  }
  throw new ArgumentError(`${what} needs a count (an integer >= 0), not ${describeValue(value)}`);
}

/** A timeout in ms (>= 0, Infinity allowed), or undefined when not given. */
function checkTimeout(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value >= 0) return value;
  throw new ArgumentError(
    `${what}: timeout must be a number of milliseconds >= 0 (or Infinity), not ${describeValue(value)}`,
  );
}

function checkRecvOptions(options: unknown, what: What): RecvOptions {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(
      `${describe(what)}: options must be an object, not ${describeValue(options)}`,
    );
  }
  const { timeout, signal } = options as RecvOptions;
  if (timeout !== undefined) checkTimeout(timeout, describe(what));
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ArgumentError(
      `${describe(what)}: signal must be an AbortSignal, not ${describeValue(signal)}`,
    );
  }
  return options as RecvOptions;
}

function checkFunction<F>(value: unknown, what: string): F {
  if (typeof value !== 'function') {
    throw new ArgumentError(`${what} needs a function, not ${describeValue(value)}`);
  }
  return value as F;
}

/**
 * The class of a tube's async iterator, made in Tube's static block (it reads Tube's private
 * fields). Kept out here so that Tube's body never names Tube: a bundler renames a class that
 * refers to itself (esbuild: `Tube = class _Tube`), and the class's name is its public name.
 */
let TubeIterator: new (tube: Tube) => AsyncIterator<Buffer>;

/**
 * The stream listeners every tube shares, made in Tube's static block: one set for all tubes, so
 * that a tube costs no closures of its own (servers hold one per idle connection). Each finds its
 * tube from the stream it is called on.
 */
interface StreamListeners {
  data(this: Duplex, chunk: Buffer): void;
  end(this: Duplex): void;
  error(this: Duplex, error: Error): void;
  close(this: Duplex): void;
}
let streamListeners: StreamListeners;
/** The tube each stream feeds (a stream handed over by toStream() is fed by its next tube). */
const tubeOfStream = new WeakMap<Duplex, Tube>();

/** Outcome of a receive completed on the fast path (see #read): set and taken synchronously. */
let immediateOutcome: unknown;
const takeImmediate = (value: unknown): true => {
  immediateOutcome = value;
  return true;
};

/** Hands Tube's private activity hook to the process tube (not part of the public API). */
let setActivityHook: (tube: Tube, hook: (busy: boolean) => void) => void;

/** Called with true when the tube starts waiting (a receive, a drain) and false when it stops. */
export function onTubeActivity(tube: Tube, hook: (busy: boolean) => void): void {
  setActivityHook(tube, hook);
}

function describeDelimiter(delimiter: Buffer): string {
  return JSON.stringify(delimiter.toString('latin1'));
}

/**
 * A buffered, promise-based view of a byte stream (pwntools' tube). Transports hand it a Node
 * Duplex opened with `allowHalfOpen`; the tube owns it from then on.
 *
 * Cancel safety: every recv* method either completes or throws; when it throws because of a
 * timeout or an abort, no byte was consumed. At end of file an unmet request throws EOFError
 * carrying the buffered bytes, which also stay in the tube.
 */
export class Tube implements AsyncIterable<Buffer> {
  readonly remote: Endpoint | undefined;
  readonly network: Network | undefined;
  /** TLS protocol, cipher, ALPN and the peer's certificate fingerprint; undefined without TLS. */
  readonly tls: TlsInfo | undefined;
  /** Default receive timeout in milliseconds (Infinity: none). */
  timeout: number;
  /** How strings become bytes ('utf8' or 'latin1'). */
  readonly encoding: TextEncoding;
  /** What sendLine appends and recvLine waits for. */
  readonly newline: '\n' | '\r\n';

  #stream: Duplex;
  #local: Endpoint | (() => Endpoint | undefined) | undefined;
  #buffer = new ReceiveBuffer();
  #waiters: Waiter[] = [];
  #highWaterMark: number;
  #closeTimeout: number;
  #idleTimer: NodeJS.Timeout | undefined;
  #eof = false;
  #error: Error | undefined;
  #recvShut = false;
  #sendShut = false;
  #destroyed = false;
  #closing: Promise<void> | undefined;
  #paused = false;
  /** The descriptor belongs to a native data path (detachFd): never read from the stream again. */
  #detached = false;
  #bytesReceived = 0;
  #bytesSent = 0;
  #newlineBytes: Buffer;
  #log: DebugLog | undefined;
  #draining = 0;
  #activity: ((busy: boolean) => void) | undefined;
  #busy = false;

  static {
    streamListeners = {
      data(chunk) {
        const tube = tubeOfStream.get(this);
        if (tube !== undefined) tube.#onData(chunk);
      },
      end() {
        const tube = tubeOfStream.get(this);
        if (tube !== undefined) tube.#onEnd();
      },
      error(error) {
        const tube = tubeOfStream.get(this);
        if (tube !== undefined) tube.#onError(error);
      },
      close() {
        const tube = tubeOfStream.get(this);
        if (tube !== undefined) tube.#onClose();
      },
    };
    setActivityHook = (tube, hook) => {
      tube.#activity = hook;
    };
  }

  constructor(stream: Duplex, options: TubeOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ArgumentError(`Tube options must be an object, not ${describeValue(options)}`);
    }
    this.#stream = stream;
    this.encoding = checkEncoding(options.encoding, 'Tube');
    const newline = options.newline ?? '\n';
    if (newline !== '\n' && newline !== '\r\n') {
      throw new ArgumentError(
        `Tube: newline must be '\\n' or '\\r\\n', not ${JSON.stringify(newline)}`,
      );
    }
    this.newline = newline;
    this.#newlineBytes = newline === '\n' ? LF : CRLF;
    this.#log = debugLogFor(options.log);
    this.timeout = checkTimeout(options.timeout, 'Tube') ?? Number.POSITIVE_INFINITY;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    const idle = options.idleTimeout;
    if (idle !== undefined && Number.isFinite(idle)) {
      this.#idleTimer = setTimeout(() => this.#onIdle(idle), idle);
      this.#idleTimer.unref();
    }
    this.#local = options.local;
    this.remote = options.remote;
    this.network = options.network;
    this.tls = options.tls;
    tubeOfStream.set(stream, this);
    stream.on('data', streamListeners.data);
    stream.on('end', streamListeners.end);
    stream.on('error', streamListeners.error);
    stream.on('close', streamListeners.close);
    // A socket held paused before it was handed over (a listener's queue) must flow now: a 'data'
    // listener alone does not resume an explicitly paused stream.
    stream.resume();
  }

  /** This end's address (found on first use when the listener deferred it). */
  get local(): Endpoint | undefined {
    const local = this.#local;
    if (typeof local !== 'function') return local;
    const found = local();
    this.#local = found;
    return found;
  }

  /** `host:port` of the peer, for messages. */
  get peerName(): string {
    const remote = this.remote;
    if (!remote) return 'peer';
    if (this.network === 'unix') return remote.address === '' ? 'unix socket peer' : remote.address;
    return formatHostPort(remote.address, remote.port);
  }

  /** Bytes waiting in the receive buffer. */
  get buffered(): number {
    return this.#buffer.length;
  }

  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** True once the peer has finished sending and the buffer is empty. */
  get atEOF(): boolean {
    return (this.#eof || this.#recvShut) && this.#buffer.length === 0;
  }

  get closed(): boolean {
    return this.#destroyed;
  }

  // ---- receiving ----------------------------------------------------------------------------

  /**
   * Receive what is buffered, at most `max` bytes, waiting for at least one byte.
   * Throws EOFError when the peer has finished and nothing is buffered.
   * Cancel safety: safe; on timeout or abort nothing was consumed.
   */
  recv(max = Number.POSITIVE_INFINITY, options: RecvOptions = {}): Promise<Buffer> {
    checkCount(max, 'recv', true);
    return this.#read<Buffer>('recv', options, (buffer, eof, done) => {
      if (buffer.length > 0) return done(buffer.consume(max));
      if (eof) return this.#eofError('recv', done);
      return false;
    });
  }

  /**
   * Receive exactly `n` bytes.
   * Cancel safety: safe. At EOF with fewer than n bytes, EOFError carries them (still buffered).
   */
  recvExactly(n: number, options: RecvOptions = {}): Promise<Buffer> {
    checkCount(n, 'recvExactly');
    const what = () => `recvExactly ${n}`;
    return this.#read<Buffer>(what, options, (buffer, eof, done) => {
      if (buffer.length >= n) return done(buffer.consume(n));
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  /**
   * Receive up to and including `delimiter` (without it when `drop`). Given a list, stops at the
   * first of them to appear (the earliest start; the longest on a tie). Searching resumes where
   * the previous search stopped, so a long stream of data is scanned once.
   * Cancel safety: safe.
   */
  recvUntil(
    delimiter: Delimiter | readonly Delimiter[],
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    if (Array.isArray(delimiter)) return this.#recvUntilAny(delimiter, options);
    const delim = this.#delimiter(delimiter as Delimiter, 'recvUntil');
    const what = () => `recvUntil ${describeDelimiter(delim)}`;
    let from = 0;
    return this.#read<Buffer>(what, options, (buffer, eof, done) => {
      const at = buffer.indexOf(delim, from);
      if (at !== -1) {
        const data = buffer.consume(at + delim.length);
        return done(options.drop ? data.subarray(0, at) : data);
      }
      from = buffer.searchedUpTo(delim.length);
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  #recvUntilAny(delimiters: readonly unknown[], options: RecvUntilOptions): Promise<Buffer> {
    if (delimiters.length === 0) throw new ArgumentError('recvUntil needs at least one delimiter');
    const delims = delimiters.map((d) => this.#delimiter(d, 'recvUntil'));
    const longest = Math.max(...delims.map((d) => d.length));
    const what = () => `recvUntil one of ${delims.map(describeDelimiter).join(', ')}`;
    let from = 0;
    return this.#read<Buffer>(what, options, (buffer, eof, done) => {
      let best = -1;
      let bestLength = 0;
      for (const delim of delims) {
        const at = buffer.indexOf(delim, from);
        if (at !== -1 && (best === -1 || at < best || (at === best && delim.length > bestLength))) {
          best = at;
          bestLength = delim.length;
        }
      }
      if (best !== -1) {
        const data = buffer.consume(best + bestLength);
        return done(options.drop ? data.subarray(0, best) : data);
      }
      from = buffer.searchedUpTo(longest);
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  /**
   * Receive one line ending in the tube's newline ('\n', or '\r\n' with `newline: '\r\n'`), kept
   * unless `drop`. Cancel safety: safe.
   */
  recvLine(options: RecvUntilOptions = {}): Promise<Buffer> {
    // Fast path: nothing queued and the first buffered chunk holds a whole line.
    if (this.#waiters.length === 0 && options.signal === undefined) {
      const line = this.#buffer.consumeThroughInHead(this.#newlineBytes, options.drop === true);
      if (line !== undefined) {
        if (this.#paused) this.#resumeIfBelowMark();
        return Promise.resolve(line);
      }
    }
    return this.recvUntil(this.#newlineBytes, options);
  }

  /**
   * Receive `n` lines, as an array (each with its newline unless `drop`).
   * Cancel safety: safe; the lines are consumed together once all `n` have arrived.
   */
  recvLines(n: number, options: RecvUntilOptions = {}): Promise<Buffer[]> {
    checkCount(n, 'recvLines');
    const newline = this.#newlineBytes;
    const what = () => `recvLines ${n}`;
    const ends: number[] = [];
    let from = 0;
    return this.#read<Buffer[]>(what, options, (buffer, eof, done) => {
      while (ends.length < n) {
        const at = buffer.indexOf(newline, from);
        if (at === -1) break;
        from = at + newline.length;
        ends.push(from);
      }
      if (ends.length === n) {
        const lines: Buffer[] = [];
        let start = 0;
        for (const end of ends) {
          const line = buffer.consume(end - start);
          lines.push(options.drop ? line.subarray(0, line.length - newline.length) : line);
          start = end;
        }
        return done(lines);
      }
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  /**
   * Receive lines until one satisfies `predicate` (called with the line without its newline);
   * return that line (with its newline unless `drop`). Lines that do not match are discarded.
   * Cancel safety: lines that did not match are consumed as they are tested (so that a long
   * stream of them cannot fill memory); on timeout or abort the incomplete last line stays
   * buffered. At EOF, EOFError.
   */
  recvLinePred(
    predicate: (line: Buffer) => boolean,
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    const test = checkFunction<(line: Buffer) => boolean>(predicate, 'recvLinePred');
    return this.#recvLineMatching('recvLinePred', test, options);
  }

  /** Receive lines until one contains any of `items`; see recvLinePred. */
  recvLineContains(items: Delimiter | readonly Delimiter[], options: RecvUntilOptions = {}) {
    const needles = this.#items(items, 'recvLineContains');
    return this.#recvLineMatching(
      () => `recvLineContains ${needles.map(describeDelimiter).join(', ')}`,
      (line) => needles.some((needle) => line.includes(needle)),
      options,
    );
  }

  /** Receive lines until one starts with any of `items`; see recvLinePred. */
  recvLineStartsWith(items: Delimiter | readonly Delimiter[], options: RecvUntilOptions = {}) {
    const needles = this.#items(items, 'recvLineStartsWith');
    return this.#recvLineMatching(
      () => `recvLineStartsWith ${needles.map(describeDelimiter).join(', ')}`,
      (line) => needles.some((needle) => line.subarray(0, needle.length).equals(needle)),
      options,
    );
  }

  /** Receive lines until one ends with any of `items` (before its newline); see recvLinePred. */
  recvLineEndsWith(items: Delimiter | readonly Delimiter[], options: RecvUntilOptions = {}) {
    const needles = this.#items(items, 'recvLineEndsWith');
    return this.#recvLineMatching(
      () => `recvLineEndsWith ${needles.map(describeDelimiter).join(', ')}`,
      (line) =>
        needles.some(
          (needle) =>
            line.length >= needle.length &&
            line.subarray(-needle.length || line.length).equals(needle),
        ),
      options,
    );
  }

  #recvLineMatching(
    what: What,
    test: (line: Buffer) => boolean,
    options: RecvUntilOptions,
  ): Promise<Buffer> {
    const newline = this.#newlineBytes;
    return this.#read<Buffer>(what, options, (buffer, eof, done) => {
      for (;;) {
        const at = buffer.indexOf(newline, 0);
        if (at === -1) break;
        const line = buffer.consume(at + newline.length);
        const bare = line.subarray(0, at);
        if (test(bare)) return done(options.drop ? bare : line);
      }
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  /**
   * Receive bytes until `predicate(data)` is true for the bytes received so far (pwntools'
   * recvpred: it is tried on every prefix, one byte longer each time); return them.
   * Cancel safety: safe.
   */
  recvPred(predicate: (data: Buffer) => boolean, options: RecvOptions = {}): Promise<Buffer> {
    const test = checkFunction<(data: Buffer) => boolean>(predicate, 'recvPred');
    let tried = 0;
    return this.#read<Buffer>('recvPred', options, (buffer, eof, done) => {
      if (buffer.length > tried) {
        const all = buffer.contiguous();
        for (let length = tried + 1; length <= all.length; length++) {
          if (test(all.subarray(0, length))) return done(buffer.consume(length));
        }
        tried = all.length;
      }
      if (eof) return this.#eofError('recvPred', done);
      return false;
    });
  }

  /**
   * Receive until `pattern` matches the buffered bytes; returns the bytes through the end of the
   * match and the match itself. The buffer is matched as latin1 text (one character per byte).
   * Cancel safety: safe.
   */
  recvRegex(pattern: RegExp, options: RecvOptions = {}): Promise<RecvRegexResult> {
    if (!(pattern instanceof RegExp)) {
      throw new ArgumentError(`recvRegex needs a RegExp, not ${describeValue(pattern)}`);
    }
    const regex = new RegExp(pattern.source, pattern.flags.replace('g', '').replace('y', ''));
    const what = () => `recvRegex ${String(pattern)}`;
    return this.#read<RecvRegexResult>(what, options, (buffer, eof, done) => {
      if (buffer.length > 0) {
        const match = regex.exec(buffer.contiguous().toString('latin1'));
        if (match) return done({ data: buffer.consume(match.index + match[0].length), match });
      }
      if (eof) return this.#eofError(what, done);
      return false;
    });
  }

  /**
   * Receive everything until the peer finishes sending. Never throws EOFError. With a `timeout`
   * (its own or the tube's), resolves when it expires with what arrived until then (pwntools'
   * recvall(timeout)), consuming it.
   * Cancel safety: on abort the bytes stay buffered.
   */
  recvAll(options: RecvOptions = {}): Promise<Buffer> {
    return this.#read<Buffer>(
      'recvAll',
      options,
      (buffer, eof, done) => {
        if (!eof) return false;
        // A connection that failed (reset) is reported; its bytes stay buffered for recv().
        if (this.#error && !this.#eof) return done(this.#error);
        return done(buffer.clear());
      },
      () => this.#buffer.clear(),
    );
  }

  /**
   * The lines as they arrive (`for await (const line of tube.lines())`), without their newline
   * unless `drop: false`, until end of file; a last line without a newline is yielded too.
   * `timeout` applies to each line. Breaking out leaves the rest buffered.
   */
  lines(options: LinesOptions = {}): AsyncIterableIterator<Buffer> {
    const drop = options.drop ?? true;
    const perLine: RecvUntilOptions = { ...options, drop };
    let finished = false;
    const iterator: AsyncIterableIterator<Buffer> = {
      next: (): Promise<IteratorResult<Buffer>> => {
        if (finished) return Promise.resolve(ITERATION_DONE);
        if (this.#waiters.length === 0 && options.signal === undefined) {
          const line = this.#buffer.consumeThroughInHead(this.#newlineBytes, drop);
          if (line !== undefined) {
            if (this.#paused) this.#resumeIfBelowMark();
            return Promise.resolve({ done: false, value: line });
          }
        }
        return this.recvLine(perLine).then(
          (value) => ({ done: false, value }),
          (error: unknown) => {
            if (!(error instanceof EOFError)) throw error;
            finished = true;
            if (this.#buffer.length === 0) return ITERATION_DONE;
            return { done: false, value: this.#buffer.clear() };
          },
        );
      },
      return: (): Promise<IteratorResult<Buffer>> => {
        finished = true;
        return Promise.resolve(ITERATION_DONE);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Put bytes back at the front of the buffer: the next recv* sees them first. */
  unrecv(data: string | Uint8Array): void {
    this.#buffer.unshift(this.#bytes(data, 'unrecv'));
    this.#serve();
  }

  /**
   * Discard and return what is buffered. With `idleMs`, keep discarding until nothing has arrived
   * for that long (pwntools' clean(timeout)).
   */
  async clean(idleMs = 0): Promise<Buffer> {
    checkTimeout(idleMs, 'clean');
    const parts = [this.#buffer.clear()];
    this.#resumeIfBelowMark();
    while (idleMs > 0 && !this.#eof && !this.#recvShut) {
      try {
        parts.push(await this.recv(Number.POSITIVE_INFINITY, { timeout: idleMs }));
      } catch (error) {
        if (error instanceof TimeoutError || error instanceof EOFError) break;
        throw error;
      }
    }
    return Buffer.concat(parts);
  }
  /** Chunks as they arrive, until the peer finishes sending. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return new TubeIterator(this);
  }

  /**
   * The async iterator: a plain object rather than an async generator, and its own waiter for
   * the whole iteration, so that a pending next() costs one promise and no closures (servers
   * hold one per idle connection). A plain end of file ends the loop without building an
   * EOFError; a failed or shut-down tube throws as recv() would.
   */
  static {
    TubeIterator = class TubeIterator implements AsyncIterator<Buffer>, Waiter {
      #tube: Tube;
      #resolve: ((result: IteratorResult<Buffer>) => void) | undefined;
      #reject: ((error: unknown) => void) | undefined;

      constructor(tube: Tube) {
        this.#tube = tube;
      }

      next(): Promise<IteratorResult<Buffer>> {
        const tube = this.#tube;
        if (this.#resolve) {
          return Promise.reject(new Error('Tube iterator: next() called while one is pending'));
        }
        if (tube.#waiters.length === 0) {
          const outcome = this.#outcome(tube.#buffer, tube.#ended());
          if (outcome !== undefined) {
            tube.#resumeIfBelowMark();
            return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
          }
        }
        return new Promise<IteratorResult<Buffer>>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
          tube.#waiters.push(this);
          if (tube.#activity !== undefined) tube.#activityChanged();
          tube.#resumeIfBelowMark();
        });
      }

      return(): Promise<IteratorResult<Buffer>> {
        const waiters = this.#tube.#waiters;
        const index = waiters.indexOf(this);
        if (index !== -1) {
          waiters.splice(index, 1);
          if (this.#tube.#activity !== undefined) this.#tube.#activityChanged();
          this.#settle(ITERATION_DONE);
        }
        return Promise.resolve(ITERATION_DONE);
      }

      /** Waiter: settles the pending next() when the buffer or the end of the stream answers it. */
      attempt(buffer: ReceiveBuffer, eof: boolean): boolean {
        const outcome = this.#outcome(buffer, eof);
        if (outcome === undefined) return false;
        this.#settle(outcome);
        return true;
      }

      fail(error: Error): void {
        this.#settle(error);
      }

      #outcome(buffer: ReceiveBuffer, eof: boolean): IteratorResult<Buffer> | Error | undefined {
        if (buffer.length > 0)
          return { done: false, value: buffer.consume(Number.POSITIVE_INFINITY) };
        if (!eof) return undefined;
        const tube = this.#tube;
        if (!tube.#error && !tube.#recvShut) return ITERATION_DONE;
        let failure: Error | undefined;
        tube.#eofError('recv', (error: Error) => {
          failure = error;
          return true;
        });
        return failure;
      }

      #settle(outcome: IteratorResult<Buffer> | Error): void {
        const resolve = this.#resolve;
        const reject = this.#reject;
        this.#resolve = this.#reject = undefined;
        if (outcome instanceof Error) reject?.(outcome);
        else resolve?.(outcome);
      }
    };
  }

  // ---- sending ------------------------------------------------------------------------------

  /**
   * Send bytes (strings in the tube's encoding, UTF-8 by default). Resolves once the transport
   * accepted them without exceeding its buffer; when it is full, waits for it to drain
   * (backpressure). Rejects if the connection failed or was shut down for sending.
   */
  send(data: string | Uint8Array): Promise<void> {
    return this.#write(this.#bytes(data, 'send'));
  }

  #write(buffer: Buffer): Promise<void> {
    const failure = this.#sendFailure();
    if (failure) return Promise.reject(failure);
    this.#bytesSent += buffer.length;
    this.#idleTimer?.refresh();
    if (this.#log !== undefined && buffer.length > 0) this.#log.sent(buffer);
    if (this.#stream.write(buffer)) return Promise.resolve();
    return this.#drained();
  }

  /**
   * Resolves once everything sent so far has been handed to the system (send() resolves earlier,
   * as soon as the transport's buffer has room), or at once when the connection is gone.
   */
  flushed(): Promise<void> {
    const stream = this.#stream;
    if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
    // Writes complete in order: an empty one's callback comes after every earlier write's.
    return new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
  }

  /** Send data followed by the tube's newline. */
  sendLine(data: string | Uint8Array = ''): Promise<void> {
    const buffer = this.#bytes(data, 'sendLine');
    const newline = this.#newlineBytes;
    return this.#write(Buffer.concat([buffer, newline], buffer.length + newline.length));
  }

  /** Send each item followed by the newline, in one write. */
  sendLines(lines: readonly (string | Uint8Array)[]): Promise<void> {
    if (!Array.isArray(lines)) {
      throw new ArgumentError(`sendLines needs an array of lines, not ${describeValue(lines)}`);
    }
    const parts: Buffer[] = [];
    for (const line of lines) parts.push(this.#bytes(line, 'sendLines'), this.#newlineBytes);
    return this.#write(Buffer.concat(parts));
  }

  /** Receive until `delimiter`, then send `data` as a line. Returns what was received. */
  async sendLineAfter(
    delimiter: Delimiter | readonly Delimiter[],
    data: string | Uint8Array,
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    this.#bytes(data, 'sendLineAfter');
    const received = await this.recvUntil(delimiter, options);
    await this.sendLine(data);
    return received;
  }

  /** Send `data` (no newline) once `delimiter` has been received. */
  async sendAfter(
    delimiter: Delimiter | readonly Delimiter[],
    data: string | Uint8Array,
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    this.#bytes(data, 'sendAfter');
    const received = await this.recvUntil(delimiter, options);
    await this.send(data);
    return received;
  }

  /** Send `data`, then receive until `delimiter` (pwntools' sendthen). Returns what was received. */
  sendThen(
    delimiter: Delimiter | readonly Delimiter[],
    data: string | Uint8Array,
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    return this.#then(this.send(data), delimiter, options);
  }

  /** Send `data` as a line, then receive until `delimiter` (pwntools' sendlinethen). */
  sendLineThen(
    delimiter: Delimiter | readonly Delimiter[],
    data: string | Uint8Array,
    options: RecvUntilOptions = {},
  ): Promise<Buffer> {
    return this.#then(this.sendLine(data), delimiter, options);
  }

  async #then(
    sending: Promise<void>,
    delimiter: Delimiter | readonly Delimiter[],
    options: RecvUntilOptions,
  ): Promise<Buffer> {
    const received = this.recvUntil(delimiter, options);
    // It may fail while the send is awaited: handled here, reported by the return below.
    received.catch(() => {});
    await sending;
    return received;
  }

  /** Bytes of a string (in the tube's encoding) or a byte array; anything else is refused. */
  #bytes(data: unknown, what: string): Buffer {
    if (typeof data === 'string') return encodeText(data, this.encoding, what);
    if (data instanceof Uint8Array) return viewOf(data);
    throw new ArgumentError(`${what} takes a string or bytes, not ${describeValue(data)}`);
  }

  #delimiter(delimiter: unknown, what: string): Buffer {
    const bytes = this.#bytes(delimiter, what);
    if (bytes.length === 0) throw new ArgumentError(`${what}: the delimiter is empty`);
    return bytes;
  }

  #items(items: unknown, what: string): Buffer[] {
    const list = Array.isArray(items) ? items : [items];
    if (list.length === 0) throw new ArgumentError(`${what} needs at least one item`);
    return list.map((item) => this.#bytes(item, what));
  }
  #sendFailure(): Error | undefined {
    if (this.#error) return this.#error;
    if (this.#destroyed)
      return new ClosedError(`send to ${this.peerName}: the tube is closed`, this.#ctx('write'));
    if (this.#sendShut) {
      return new ClosedError(
        `send to ${this.peerName}: the sending side was shut down`,
        this.#ctx('write'),
      );
    }
    return undefined;
  }

  #drained(): Promise<void> {
    // The tube's own 'error' listener records failures; 'close' then rejects with them.
    const drained = whenDrained(
      this.#stream,
      () =>
        this.#error ??
        new ClosedError(`send to ${this.peerName}: connection closed`, this.#ctx('write')),
      false,
    );
    if (this.#activity === undefined) return drained;
    this.#draining++;
    this.#activityChanged();
    const done = () => {
      this.#draining--;
      this.#activityChanged();
    };
    drained.then(done, done);
    return drained;
  }

  // ---- closing ------------------------------------------------------------------------------

  /**
   * Half-close. `'send'` flushes what was sent and sends FIN; the peer sees end of file and the
   * tube can still receive. `'recv'` stops receiving: buffered and later bytes are discarded and
   * pending receives fail with ClosedError.
   */
  async shutdown(direction: 'send' | 'recv'): Promise<void> {
    if (direction === 'recv') {
      if (this.#recvShut) return;
      this.#recvShut = true;
      this.#buffer.clear();
      this.#failWaiters(
        new ClosedError(
          `receive from ${this.peerName}: shut down for receiving`,
          this.#ctx('read'),
        ),
      );
      this.#resumeIfBelowMark();
      return;
    }
    if (this.#sendShut || this.#destroyed) return;
    this.#sendShut = true;
    const stream = this.#stream;
    await new Promise<void>((resolve, reject) => {
      if (stream.writableFinished) return resolve();
      const cleanup = () => {
        stream.off('finish', onFinish);
        stream.off('close', onClose);
      };
      const onFinish = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        if (stream.writableFinished) resolve();
        else
          reject(
            this.#error ??
              new ClosedError(
                `shutdown of ${this.peerName} failed: connection closed`,
                this.#ctx('shutdown'),
              ),
          );
      };
      stream.on('finish', onFinish);
      stream.on('close', onClose);
      stream.end();
    });
  }

  /**
   * Graceful close: flush, send FIN, discard what still arrives and wait for the peer's FIN; after
   * the grace period (`closeTimeout`) the connection is destroyed. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#destroyed) {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    const stream = this.#stream;
    this.#closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.destroy(), this.#closeTimeout);
      timer.unref();
      stream.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#recvShut = true;
      this.#buffer.clear();
      this.#failWaiters(
        new ClosedError(`receive from ${this.peerName}: the tube is closed`, this.#ctx('read')),
      );
      this.#resume();
      stream.once('finish', () => {
        if (this.#eof) stream.destroy();
      });
      if (!this.#sendShut) {
        this.#sendShut = true;
        stream.end();
      }
      if (this.#eof && stream.writableFinished) stream.destroy();
    });
    return this.#closing;
  }

  /** Close at once, discarding unsent data. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#error ??= new ClosedError(
      `connection to ${this.peerName}: the tube is closed`,
      this.#ctx('read'),
    );
    this.#failWaiters(this.#error);
    this.#stream.destroy();
  }

  /** Abort the connection with a TCP reset where the transport supports it. */
  reset(): void {
    const socket = this.#stream as Duplex & { resetAndDestroy?: () => void };
    if (typeof socket.resetAndDestroy === 'function' && !this.#destroyed) {
      this.#destroyed = true;
      this.#error ??= new ClosedError(
        `connection to ${this.peerName}: the tube was reset`,
        this.#ctx('read'),
      );
      this.#failWaiters(this.#error);
      try {
        socket.resetAndDestroy();
      } catch {
        // A TLS socket's handle is not a TCP one (ERR_INVALID_HANDLE_TYPE): close it instead.
        socket.destroy();
      }
      return;
    }
    this.destroy();
  }

  /**
   * Hand the connection over as a plain Node Duplex. Buffered bytes are pushed back into it, and
   * this tube must not be used afterwards.
   */
  toStream(): Duplex {
    const stream = this.#stream;
    // The new owner times the connection now (an idle timer left here would destroy it).
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    stream.off('data', streamListeners.data);
    stream.off('end', streamListeners.end);
    stream.off('error', streamListeners.error);
    stream.off('close', streamListeners.close);
    if (tubeOfStream.get(stream) === this) tubeOfStream.delete(stream);
    const rest = this.#buffer.clear();
    this.#failWaiters(new ClosedError(`the tube was converted to a stream`, this.#ctx('read')));
    this.#destroyed = true;
    // Past its 'end' a stream takes no bytes back: hand over a stand-in that reads them first.
    if (this.#eof) return endedStream(stream, rest);
    stream.pause();
    if (rest.length > 0) stream.unshift(rest);
    return stream;
  }

  /**
   * Hand the connection's file descriptor to a native data path (relay/native-copy.ts), which then
   * reads and writes it directly. The tube stops reading from its stream (until reattachFd()); what it had
   * buffered is returned, to be delivered first, with whether the peer's end of file was already
   * seen. Sending through the tube afterwards is not allowed until the native writer has stopped;
   * shutdown('send'), close() and destroy() still work. Undefined (and nothing changed) when the
   * bytes must pass through JavaScript: TLS, a stream that is not a plain socket, a receive waiting,
   * or bytes still queued for sending.
   */
  detachFd(): { fd: number; buffered: Buffer; eof: boolean } | undefined {
    const stream = this.#stream;
    if (this.tls || this.#waiters.length > 0) return undefined;
    if (this.#destroyed || this.#error || this.#recvShut || this.#sendShut) return undefined;
    // Bytes the stream holds are taken out below: they do not keep the descriptor from a copy.
    const fd = plainSocketFd(stream, true);
    if (fd === undefined) return undefined;
    stream.off('data', streamListeners.data);
    stopReading(stream);
    // Bytes the stream holds but never emitted (unshifted by a proxy handshake, or read while
    // paused) come after the tube's own buffer: the native path never sees them on the fd.
    const held: Buffer[] = [this.#buffer.clear()];
    for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read()) {
      held.push(chunk);
    }
    this.#paused = true;
    this.#detached = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    return { fd, buffered: Buffer.concat(held), eof: this.#eof };
  }

  /**
   * Give the descriptor back after detachFd(), once no native copy uses it any more: the tube
   * reads the connection again, so that shutdown('recv') discards and close() waits for the
   * peer's FIN as they do for any tube. Bytes the copy already read are not seen again.
   */
  reattachFd(): void {
    if (!this.#detached || this.#destroyed) return;
    this.#detached = false;
    this.#stream.on('data', streamListeners.data);
    this.#paused = false;
    resumeReading(this.#stream);
  }

  /**
   * A failure of the native data path on this connection's descriptor (a Node-style system error),
   * as the tube itself reports it: `connection to HOST:PORT reset: Connection reset by peer`.
   */
  failure(error: Error, op: Operation): Error {
    return wrapStreamError(error, this.peerName, this.#ctx(op));
  }

  // ---- for transports that add kinds of receive ----------------------------------------------

  /**
   * A receive with the tube's ordering, timeout, abort and end-of-file rules, for a subclass that
   * adds a kind of receive (WebSocket messages): `attempt` looks at the buffer and calls `done`
   * with a result or an error when it can settle, else returns false to wait for more.
   */
  protected receiveWith<T>(
    what: string | (() => string),
    options: RecvOptions,
    attempt: (buffer: ReceiveBuffer, eof: boolean, done: (value: T | Error) => true) => boolean,
  ): Promise<T> {
    return this.#read<T>(what, options, attempt);
  }

  /** Let waiting receives look at the buffer again: a subclass's own state changed. */
  protected wake(): void {
    this.#serve();
  }

  /** The error a receive would fail with at end of file now (EOFError, or the failure). */
  protected endOfFileError(what: string): Error {
    let failure: Error | undefined;
    this.#eofError(what, (error: Error) => {
      failure = error;
      return true;
    });
    return failure!;
  }

  // ---- internals ----------------------------------------------------------------------------

  #ctx(op: Operation): ErrorContext {
    const context: ErrorContext = { op };
    if (this.network) context.network = this.network;
    if (this.remote) {
      context.address = this.remote.address;
      context.port = this.remote.port;
    }
    return context;
  }

  #eofError<T>(what: What, done: (value: T | Error) => true): true {
    if (this.#error) return done(this.#error);
    const buffered = Buffer.from(this.#buffer.peek());
    const message = this.#recvShut
      ? `${describe(what)} from ${this.peerName}: shut down for receiving`
      : `${describe(what)} from ${this.peerName}: end of file after ${buffered.length} buffered bytes`;
    if (this.#recvShut) return done(new ClosedError(message, this.#ctx('read')));
    return done(new EOFError(message, { ...this.#ctx('read'), buffered }));
  }

  #read<T>(
    what: What,
    options: RecvOptions,
    attempt: (buffer: ReceiveBuffer, eof: boolean, done: (value: T | Error) => true) => boolean,
    onTimeout?: () => T,
  ): Promise<T> {
    try {
      checkRecvOptions(options, what);
    } catch (error) {
      return Promise.reject(error);
    }
    // A closed tube still hands out what it had buffered; then the error that closed it.
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new AbortError(`${describe(what)} from ${this.peerName} aborted`, {
          ...this.#ctx('read'),
          buffered: Buffer.from(this.#buffer.peek()),
        }),
      );
    }
    // Fast path: nothing is queued ahead and the buffer already answers (a line among many
    // received at once). No waiter, timer or abort listener is built for it.
    // Only the first waiter may try at once, so that requests complete in call order.
    if (this.#waiters.length === 0) {
      try {
        if (attempt(this.#buffer, this.#ended(), takeImmediate)) {
          const value = immediateOutcome as T | Error;
          immediateOutcome = undefined;
          this.#resumeIfBelowMark();
          return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
        }
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const timeout = options.timeout ?? this.timeout;
    if (signal === undefined && !Number.isFinite(timeout)) {
      // No timer, no signal: the lightest waiter (every chunk of an async iteration comes here).
      return new Promise<T>((resolve, reject) => {
        const settle = (value: T | Error): true => {
          if (value instanceof Error) reject(value);
          else resolve(value);
          return true;
        };
        this.#waiters.push({
          attempt: (buffer, eof) => attempt(buffer, eof, settle),
          fail: settle,
        });
        if (this.#activity !== undefined) this.#activityChanged();
        this.#resumeIfBelowMark();
      });
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (value: T | Error): true => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (value instanceof Error) reject(value);
        else resolve(value);
        return true;
      };
      const waiter: Waiter = {
        attempt: (buffer, eof) => attempt(buffer, eof, settle),
        fail: (error) => settle(error),
      };
      const remove = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        if (this.#activity !== undefined) this.#activityChanged();
      };
      const onAbort = () => {
        remove();
        settle(
          new AbortError(`${describe(what)} from ${this.peerName} aborted`, {
            ...this.#ctx('read'),
            buffered: Buffer.from(this.#buffer.peek()),
          }),
        );
        this.#serve();
      };
      // The fast path above has just tried this request against the buffer.
      this.#waiters.push(waiter);
      if (this.#activity !== undefined) this.#activityChanged();
      this.#resumeIfBelowMark();
      if (Number.isFinite(timeout)) {
        timer = setTimeout(() => {
          remove();
          if (onTimeout !== undefined) {
            settle(onTimeout());
            this.#serve();
            return;
          }
          settle(
            new TimeoutError(
              `${describe(what)} from ${this.peerName} timed out after ${timeout}ms`,
              timeout,
              {
                ...this.#ctx('read'),
                buffered: Buffer.from(this.#buffer.peek()),
              },
            ),
          );
          this.#serve();
        }, timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #ended(): boolean {
    return this.#eof || this.#recvShut || this.#error !== undefined || this.#destroyed;
  }

  #tryOne(waiter: Waiter): boolean {
    return waiter.attempt(this.#buffer, this.#ended());
  }

  #serve(): void {
    while (this.#waiters.length > 0) {
      if (!this.#tryOne(this.#waiters[0]!)) break;
      this.#waiters.shift();
    }
    if (this.#activity !== undefined) this.#activityChanged();
    this.#resumeIfBelowMark();
  }

  #failWaiters(error: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.fail(error);
    if (this.#activity !== undefined) this.#activityChanged();
  }

  /** Tells the activity hook (process tubes) when the tube starts or stops waiting. */
  #activityChanged(): void {
    const busy = this.#waiters.length > 0 || this.#draining > 0;
    if (busy === this.#busy) return;
    this.#busy = busy;
    this.#activity?.(busy);
  }

  #resumeIfBelowMark(): void {
    if (this.#paused && (this.#buffer.length < this.#highWaterMark || this.#waiters.length > 0)) {
      this.#resume();
    }
  }

  #resume(): void {
    if (this.#detached) return;
    this.#paused = false;
    this.#stream.resume();
  }

  #onData(chunk: Buffer): void {
    if (this.#recvShut) return;
    this.#bytesReceived += chunk.length;
    this.#idleTimer?.refresh();
    if (this.#log !== undefined) this.#log.received(chunk);
    this.#buffer.push(chunk);
    this.#serve();
    if (this.#waiters.length === 0 && this.#buffer.length >= this.#highWaterMark) {
      this.#paused = true;
      this.#stream.pause();
    }
  }

  #onEnd(): void {
    this.#eof = true;
    this.#serve();
    if (this.#closing && this.#stream.writableFinished) this.#stream.destroy();
  }

  #onError(error: Error): void {
    this.#error = wrapStreamError(error, this.peerName, this.#ctx('read'));
    this.#serve();
    this.#failWaiters(this.#error);
  }

  #onIdle(idle: number): void {
    this.#error = new TimeoutError(
      `connection to ${this.peerName} idle for ${idle}ms`,
      idle,
      this.#ctx('read'),
    );
    this.#failWaiters(this.#error);
    this.#destroyed = true;
    this.#stream.destroy();
  }

  #onClose(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#destroyed = true;
    if (!this.#eof && !this.#error) {
      this.#error = new ClosedError(`connection to ${this.peerName} closed`, this.#ctx('read'));
    }
    this.#serve();
    if (this.#error) this.#failWaiters(this.#error);
  }
}

function wrapStreamError(error: Error, peer: string, context: ErrorContext): Error {
  if (error instanceof SockcatError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    // A reset arrives as an event: a stack would only show the event loop, and capturing one
    // costs more than the rest of a short connection's life. The cause keeps Node's error.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new ConnectionResetError(
        `connection to ${peer} reset: ${describeSystemError(error)}`,
        {
          ...context,
          cause: error,
        },
      );
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
  return new ClosedError(`connection to ${peer} failed: ${describeSystemError(error)}`, {
    ...context,
    cause: error,
  });
}
