/**
 * Every error sockcat throws on purpose is a SockcatError with a literal `code`, the operation that
 * failed (`op`), and where it was going (`network`, `address`, `port`). The system error, when there
 * is one, stays on `cause` with its own `code` and `syscall`.
 */

export type SockcatErrorCode =
  | 'SOCKCAT_ARGS'
  | 'SOCKCAT_RESOLVE'
  | 'SOCKCAT_REFUSED'
  | 'SOCKCAT_CONNECT'
  | 'SOCKCAT_LISTEN'
  | 'SOCKCAT_TIMEOUT'
  | 'SOCKCAT_ABORTED'
  | 'SOCKCAT_EOF'
  | 'SOCKCAT_CLOSED'
  | 'SOCKCAT_RESET'
  | 'SOCKCAT_PROXY_PROTOCOL'
  | 'SOCKCAT_PROXY'
  | 'SOCKCAT_UNSUPPORTED'
  | 'SOCKCAT_EXEC'
  | 'SOCKCAT_PERMISSION'
  | 'SOCKCAT_TLS'
  | 'SOCKCAT_WEBSOCKET'
  | 'SOCKCAT_SSH'
  | 'SOCKCAT_SSH_AUTH'
  | 'SOCKCAT_HOST_KEY';

/** Go's names: `unixgram` is Unix datagram, `unixpacket` Unix seqpacket, `ip` a raw IP socket. */
export type Network = 'tcp' | 'tcp4' | 'tcp6' | 'udp' | 'unix' | 'unixgram' | 'unixpacket' | 'ip';

/** The operation an error happened in, as Go's net.OpError names it. */
export type Operation =
  | 'parse'
  | 'resolve'
  | 'connect'
  | 'listen'
  | 'accept'
  | 'read'
  | 'write'
  | 'shutdown'
  | 'close'
  | 'exec'
  | 'bind'
  | 'send'
  | 'receive'
  | 'setsockopt'
  | 'proxy'
  | 'handshake';

export interface ErrorContext {
  op?: Operation;
  network?: Network;
  /** Host name or IP address the operation was aimed at. */
  address?: string;
  port?: number;
  cause?: unknown;
}

/** Marks sockcat's error classes in every copy of sockcat loaded into one process. */
const ERROR_CLASS = Symbol.for('sockcat.errorClass');

/** `value` is an instance of `asked`, or of a class of that name from another copy of sockcat. */
function isInstanceInAnyCopy(asked: abstract new (...args: never[]) => unknown, value: unknown) {
  if (Function.prototype[Symbol.hasInstance].call(asked, value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
    const owner = (proto as { constructor?: { name?: string; [ERROR_CLASS]?: boolean } })
      .constructor;
    if (owner?.[ERROR_CLASS] === true && owner.name === asked.name) return true;
  }
  return false;
}

/** What `cause` holds: the system error (with `code`, `syscall`, `errno`), or another error. */
export type ErrorCause = Error & {
  code?: string;
  syscall?: string;
  errno?: number;
  address?: string;
  port?: number;
};

/** Typed `cause` (declared through the interface: a class field would shadow Error's own). */
export interface SockcatError {
  /** The system error or the error that led to this one; undefined when there is none. */
  readonly cause: ErrorCause | undefined;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only types `cause`
export class SockcatError extends Error {
  static readonly [ERROR_CLASS] = true;

  /**
   * `error instanceof SockcatError` narrows to the union of the concrete classes (AnySockcatError),
   * so that `switch (error.code)` then narrows to one class; `instanceof TimeoutError` narrows to
   * TimeoutError as usual. The check is the prototype chain's, and it also holds across copies
   * of sockcat in one process (the bundled CLI and the package a --js-exec module imports): a
   * copy's class counts when it is a sockcat error class of the same name.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is [Extract<AnySockcatError, T>] extends [never] ? T : Extract<AnySockcatError, T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass instanceof was asked about
    return isInstanceInAnyCopy(this, value);
  }

  readonly code: SockcatErrorCode;
  readonly op: Operation | undefined;
  readonly network: Network | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(code: SockcatErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.op = context.op;
    this.network = context.network;
    this.address = context.address;
    this.port = context.port;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Invalid input: a bad port, an unparsable address, conflicting options. Thrown before any I/O. */
export class ArgumentError extends SockcatError {
  declare readonly code: 'SOCKCAT_ARGS';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_ARGS', message, { op: 'parse', ...context });
  }
}

/** A host name did not resolve to any address (of the requested family). */
export class ResolveError extends SockcatError {
  declare readonly code: 'SOCKCAT_RESOLVE';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_RESOLVE', message, { op: 'resolve', ...context });
  }
}

/** The peer answered a connection attempt with a reset (ECONNREFUSED). */
export class ConnectionRefusedError extends SockcatError {
  declare readonly code: 'SOCKCAT_REFUSED';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_REFUSED', message, { op: 'connect', ...context });
  }
}

/** Any other failure to connect: unreachable network or host, permission, source address in use. */
export class ConnectError extends SockcatError {
  declare readonly code: 'SOCKCAT_CONNECT';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_CONNECT', message, { op: 'connect', ...context });
  }
}

/** Binding or listening failed: address in use, permission denied, address not available. */
export class ListenError extends SockcatError {
  declare readonly code: 'SOCKCAT_LISTEN';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_LISTEN', message, { op: 'listen', ...context });
  }
}

/**
 * An operation did not complete in time. For receives, nothing was consumed: `buffered` holds a
 * copy of what is waiting in the tube's buffer.
 */
export class TimeoutError extends SockcatError {
  declare readonly code: 'SOCKCAT_TIMEOUT';
  readonly timeoutMs: number;
  readonly buffered: Buffer;
  constructor(
    message: string,
    timeoutMs: number,
    context: ErrorContext & { buffered?: Buffer } = {},
  ) {
    super('SOCKCAT_TIMEOUT', message, context);
    this.timeoutMs = timeoutMs;
    this.buffered = context.buffered ?? Buffer.alloc(0);
  }
}

/** An AbortSignal stopped the operation. Like a timeout, a receive consumed nothing. */
export class AbortError extends SockcatError {
  declare readonly code: 'SOCKCAT_ABORTED';
  readonly buffered: Buffer;
  constructor(message: string, context: ErrorContext & { buffered?: Buffer } = {}) {
    super('SOCKCAT_ABORTED', message, context);
    this.buffered = context.buffered ?? Buffer.alloc(0);
  }
}

/**
 * The peer finished sending before the request could be met. `buffered` is what had arrived; it
 * stays in the tube, so `recvAll()` still returns it.
 */
export class EOFError extends SockcatError {
  declare readonly code: 'SOCKCAT_EOF';
  readonly buffered: Buffer;
  constructor(message: string, context: ErrorContext & { buffered?: Buffer } = {}) {
    super('SOCKCAT_EOF', message, { op: 'read', ...context });
    this.buffered = context.buffered ?? Buffer.alloc(0);
  }
}

/** The peer reset the connection (ECONNRESET, EPIPE). */
export class ConnectionResetError extends SockcatError {
  declare readonly code: 'SOCKCAT_RESET';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_RESET', message, context);
  }
}

/** The tube or listener was closed (by this side, or for writing by `shutdown('send')`). */
export class ClosedError extends SockcatError {
  declare readonly code: 'SOCKCAT_CLOSED';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_CLOSED', message, context);
  }
}

/** A PROXY protocol header (HAProxy's v1 text or v2 binary) is malformed, too long, or missing. */
export class ProxyProtocolError extends SockcatError {
  declare readonly code: 'SOCKCAT_PROXY_PROTOCOL';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_PROXY_PROTOCOL', message, { op: 'read', ...context });
  }
}

/**
 * A proxy (HTTP CONNECT, SOCKS4/4a/5) refused, failed or broke the protocol while tunnelling, or
 * a client of sockcat's proxy servers sent a bad handshake. `proxy` names the proxy (host:port);
 * `reply` is what it answered when it answered (`403 Forbidden`, `SOCKS5 reply 0x05`).
 */
export class ProxyError extends SockcatError {
  declare readonly code: 'SOCKCAT_PROXY';
  readonly proxy: string;
  readonly reply: string | undefined;
  constructor(message: string, proxy: string, context: ErrorContext & { reply?: string } = {}) {
    super('SOCKCAT_PROXY', message, { op: 'proxy', ...context });
    this.proxy = proxy;
    this.reply = context.reply;
  }
}

/** A feature this platform, build or version does not have; the message says what to do. */
export class UnsupportedError extends SockcatError {
  declare readonly code: 'SOCKCAT_UNSUPPORTED';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_UNSUPPORTED', message, context);
  }
}

/**
 * The system refused the operation for lack of privilege: raw sockets without root or
 * CAP_NET_RAW, binding to a device, a port below 1024. The message says what grants it.
 */
export class PermissionError extends SockcatError {
  declare readonly code: 'SOCKCAT_PERMISSION';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_PERMISSION', message, context);
  }
}

/**
 * A command for `-e`/`-c` (execRelay) could not be started: the program is missing or not
 * executable, or the working directory does not exist. The system error stays on `cause`.
 */
export class ExecError extends SockcatError {
  declare readonly code: 'SOCKCAT_EXEC';
  /** The command line as it was given. */
  readonly command: string;
  constructor(message: string, command: string, context: ErrorContext = {}) {
    super('SOCKCAT_EXEC', message, { op: 'exec', ...context });
    this.command = command;
  }
}

/** The short system description ncat prints ("Connection refused") for an errno code. */
export function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'EPIPE':
      return 'Broken pipe';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'EHOSTUNREACH':
      return 'No route to host';
    case 'ENETUNREACH':
      return 'Network is unreachable';
    case 'EADDRINUSE':
      return 'Address already in use';
    case 'EADDRNOTAVAIL':
      return 'Cannot assign requested address';
    case 'EACCES':
      return 'Permission denied';
    case 'EPERM':
      return 'Operation not permitted';
    case 'EAFNOSUPPORT':
      return 'Address family not supported by protocol';
    case 'EINVAL':
      return 'Invalid argument';
    case 'ENOENT':
      return 'No such file or directory';
    case 'ENOTFOUND':
      return 'Name or service not known';
    case 'EAI_AGAIN':
      return 'Temporary failure in name resolution';
    case 'ENODATA':
      return 'No address associated with hostname';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Why a TLS peer was refused: the handshake failed, or its certificate did not pass. */
export type TlsFailure =
  | 'handshake'
  | 'expired'
  | 'not-yet-valid'
  | 'name'
  | 'untrusted'
  | 'pin'
  | 'no-certificate';

/** A TLS handshake failed, or the peer's certificate was refused (`reason` says which check). */
export class TlsError extends SockcatError {
  declare readonly code: 'SOCKCAT_TLS';
  readonly reason: TlsFailure;
  constructor(message: string, reason: TlsFailure, context: ErrorContext = {}) {
    super('SOCKCAT_TLS', message, { op: 'handshake', ...context });
    this.reason = reason;
  }
}

/**
 * A WebSocket failed: the server refused the upgrade (`status`), a message broke the size limit
 * or the protocol, or keepalive pings went unanswered. `closeCode` is the close code sent or
 * received (RFC 6455 section 7.4), when there was one.
 */
export class WebSocketError extends SockcatError {
  declare readonly code: 'SOCKCAT_WEBSOCKET';
  readonly closeCode: number | undefined;
  readonly status: number | undefined;
  constructor(
    message: string,
    context: ErrorContext & { closeCode?: number; status?: number } = {},
  ) {
    const { closeCode, status, ...rest } = context;
    super('SOCKCAT_WEBSOCKET', message, rest);
    this.closeCode = closeCode;
    this.status = status;
  }
}

/**
 * An SSH connection or session failed after the TCP connect: the handshake or the protocol broke,
 * the server closed the connection, or it refused to open a session, a pty or the command.
 */
export class SshError extends SockcatError {
  declare readonly code: 'SOCKCAT_SSH';
  constructor(message: string, context: ErrorContext = {}) {
    super('SOCKCAT_SSH', message, { op: 'handshake', ...context });
  }
}

/**
 * The SSH server accepted none of the credentials given. `username` is the user asked for;
 * `methods` the methods tried, in order ('publickey', 'password').
 */
export class SshAuthError extends SockcatError {
  declare readonly code: 'SOCKCAT_SSH_AUTH';
  readonly username: string;
  readonly methods: readonly string[];
  constructor(
    message: string,
    username: string,
    methods: readonly string[],
    context: ErrorContext = {},
  ) {
    super('SOCKCAT_SSH_AUTH', message, { op: 'handshake', ...context });
    this.username = username;
    this.methods = methods;
  }
}

/** Why an SSH server's host key was refused. */
export type HostKeyFailure = 'mismatch' | 'unknown' | 'revoked';

/**
 * The SSH server's host key was refused: it is not the one expected (`mismatch`), not known at
 * all (`unknown`), or marked @revoked in known_hosts. `fingerprint` is the key the server offered
 * (`SHA256:…`, as `ssh-keygen -l` prints it) and `keyType` its type ('ssh-ed25519').
 */
export class HostKeyError extends SockcatError {
  declare readonly code: 'SOCKCAT_HOST_KEY';
  readonly reason: HostKeyFailure;
  readonly fingerprint: string;
  readonly keyType: string;
  constructor(
    message: string,
    reason: HostKeyFailure,
    offered: { fingerprint: string; keyType: string },
    context: ErrorContext = {},
  ) {
    super('SOCKCAT_HOST_KEY', message, { op: 'handshake', ...context });
    this.reason = reason;
    this.fingerprint = offered.fingerprint;
    this.keyType = offered.keyType;
  }
}

/**
 * A short word for why a session ended with `error`: `idle-timeout` (a session's only timer is
 * its idle timeout), `aborted`, or the error's code in lower case without its prefix (`reset`,
 * `refused`, `closed`, ...); `error` for anything that is not a SockcatError.
 */
export function errorReason(error: unknown): string {
  if (!(error instanceof SockcatError)) return 'error';
  if (error.code === 'SOCKCAT_ABORTED') return 'aborted';
  if (error.code === 'SOCKCAT_TIMEOUT') return 'idle-timeout';
  return error.code.replace(/^SOCKCAT_/, '').toLowerCase();
}

/**
 * Every concrete error class, as a discriminated union on `code`: `switch (error.code)` over an
 * AnySockcatError narrows to the class (TimeoutError has `timeoutMs` and `buffered`, ProxyError
 * has `proxy` and `reply`, and so on).
 */
export type AnySockcatError =
  | ArgumentError
  | ResolveError
  | ConnectionRefusedError
  | ConnectError
  | ListenError
  | TimeoutError
  | AbortError
  | EOFError
  | ClosedError
  | ConnectionResetError
  | ProxyProtocolError
  | ProxyError
  | UnsupportedError
  | ExecError
  | PermissionError
  | TlsError
  | WebSocketError
  | SshError
  | SshAuthError
  | HostKeyError;

/** Type guard: true for every error sockcat throws on purpose (any SockcatError). */
export function isSockcatError(value: unknown): value is AnySockcatError {
  return value instanceof SockcatError;
}
