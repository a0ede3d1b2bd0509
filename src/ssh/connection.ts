/**
 * SSH client connections (the ssh2 package, loaded on first use): sshConnect() dials with
 * sockcat's own connect() (so resolution, happy eyeballs, proxies and their errors are the same as
 * for any tube), checks the server's host key against fingerprints or a known_hosts file, signs
 * in with a key or a password, and opens command and shell sessions as tubes.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig, ParsedKey, PseudoTtyOptions } from 'ssh2';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import { type ConnectOptions, connect } from '../dial/connect.js';
import {
  AbortError,
  ArgumentError,
  ConnectionResetError,
  describeSystemError,
  HostKeyError,
  SshAuthError,
  SshError,
  TimeoutError,
  UnsupportedError,
} from '../errors.js';
import { parseTarget, type TargetInput } from '../transports/target.js';
import { describe as describeValue } from '../tube/describe-value.js';
import type { TubeOptions } from '../tube/tube.js';
import { type SshChannel, SshChannelStream } from './channel-stream.js';
import { hostKeyFingerprint, hostKeyType, parseFingerprint } from './host-key.js';
import { checkKnownHost, knownHostsName, parseKnownHosts } from './known-hosts.js';
import {
  checkSshProcessOptions,
  type SshProcessOptions,
  SshProcessTube,
  type SshSessionHost,
  type SshShellOptions,
} from './process.js';

export interface SshConnectOptions
  extends Pick<
    ConnectOptions,
    | 'family'
    | 'numericOnly'
    | 'attemptDelay'
    | 'localAddress'
    | 'localPort'
    | 'keepAlive'
    | 'socket'
    | 'lookup'
    | 'proxy'
    | 'proxyDns'
    | 'proxyTimeout'
  > {
  /** The user to sign in as. Default: this process's user. */
  username?: string;
  /** A private key (OpenSSH or PEM text, or its bytes). */
  privateKey?: string | Uint8Array;
  /** A file holding the private key. */
  privateKeyFile?: string;
  /** The private key's passphrase, when it is encrypted. */
  passphrase?: string;
  /** A password (tried after the key, when both are given). */
  password?: string;
  /**
   * The host key's SHA-256 fingerprint (`SHA256:…`, as `ssh-keygen -l` prints it), or a list of
   * them: the server must offer one of these keys.
   */
  hostFingerprint?: string | readonly string[];
  /**
   * A known_hosts file to check the host key against (OpenSSH's format, hashed names included).
   * Default: `~/.ssh/known_hosts` when no hostFingerprint is given.
   */
  knownHosts?: string;
  /** Accept any host key, without checking it (the server may be anyone). Default false. */
  insecureHostKey?: boolean;
  /** Milliseconds for the TCP connect, the SSH handshake and the sign-in together. Default 20000. */
  timeout?: number;
  signal?: AbortSignal;
}

/** A target as sshConnect takes it: connect()'s targets, and a host alone for port 22. */
export type SshTarget = TargetInput | { host: string; port?: number | string };

const DEFAULT_TIMEOUT = 20_000;
const SSH_PORT = 22;

interface Ssh2Module {
  Client: new () => Client;
  utils: { parseKey(data: Buffer | string, passphrase?: string): ParsedKey | ParsedKey[] | Error };
}

let ssh2: Ssh2Module | undefined;

/** ssh2, loaded on first use (the CLI and every other caller never pay for it). */
function loadSsh2(): Ssh2Module {
  if (ssh2) return ssh2;
  try {
    ssh2 = createRequire(import.meta.url)('ssh2') as Ssh2Module;
  } catch (error) {
    throw new UnsupportedError(
      `SSH is not available: the dependency ssh2 did not load (${describeSystemError(error)}); reinstall sockcat's dependencies with \`npm install\``,
      { op: 'connect', cause: error },
    );
  }
  return ssh2;
}

function parseSshTarget(target: SshTarget): { host: string; port: number } {
  if (typeof target === 'string') {
    const text = target.trim();
    if (/^\[[^\]]*\]$/.test(text)) return { host: text.slice(1, -1), port: SSH_PORT };
    // A host alone ("example.com", "10.0.0.5", "::1") is on port 22.
    if (!/:\d+$/.test(text) || (text.split(':').length > 2 && !text.startsWith('['))) {
      if (text === '') throw new ArgumentError('sshConnect needs a host');
      return { host: text, port: SSH_PORT };
    }
  }
  if (
    typeof target === 'object' &&
    target !== null &&
    !('path' in target) &&
    (target as { port?: unknown }).port === undefined
  ) {
    return parseTarget({ ...(target as { host: string }), port: SSH_PORT });
  }
  const parsed = parseTarget(target as TargetInput);
  if (parsed.host === '') throw new ArgumentError('sshConnect needs a host');
  return parsed;
}

interface Credentials {
  username: string;
  key: ParsedKey | undefined;
  password: string | undefined;
}

async function credentials(options: SshConnectOptions): Promise<Credentials> {
  const {
    username = userInfo().username,
    privateKey,
    privateKeyFile,
    passphrase,
    password,
  } = options;
  if (typeof username !== 'string' || username === '') {
    throw new ArgumentError(`sshConnect: username must be a non-empty string`);
  }
  if (privateKey !== undefined && privateKeyFile !== undefined) {
    throw new ArgumentError('sshConnect: give privateKey or privateKeyFile, not both');
  }
  if (password !== undefined && typeof password !== 'string') {
    throw new ArgumentError(
      `sshConnect: password must be a string, not ${describeValue(password)}`,
    );
  }
  if (passphrase !== undefined && typeof passphrase !== 'string') {
    throw new ArgumentError(
      `sshConnect: passphrase must be a string, not ${describeValue(passphrase)}`,
    );
  }
  let keyData: Buffer | string | undefined;
  let keyName = 'privateKey';
  if (privateKeyFile !== undefined) {
    if (typeof privateKeyFile !== 'string') {
      throw new ArgumentError(
        `sshConnect: privateKeyFile must be a path, not ${describeValue(privateKeyFile)}`,
      );
    }
    keyName = `privateKeyFile ${JSON.stringify(privateKeyFile)}`;
    try {
      keyData = await readFile(privateKeyFile);
    } catch (error) {
      throw new ArgumentError(`sshConnect: cannot read ${keyName}: ${describeSystemError(error)}`, {
        cause: error,
      });
    }
  } else if (privateKey !== undefined) {
    if (typeof privateKey !== 'string' && !(privateKey instanceof Uint8Array)) {
      throw new ArgumentError(
        `sshConnect: privateKey must be the key's text or bytes, not ${describeValue(privateKey)}`,
      );
    }
    keyData = typeof privateKey === 'string' ? privateKey : Buffer.from(privateKey);
  }
  let key: ParsedKey | undefined;
  if (keyData !== undefined) {
    const parsed = loadSsh2().utils.parseKey(keyData, passphrase);
    if (parsed instanceof Error) {
      // ssh2's words ("Encrypted private OpenSSH key detected, but no passphrase given"), never
      // the key itself.
      throw new ArgumentError(
        `sshConnect: ${keyName} is not a usable private key: ${parsed.message}`,
      );
    }
    key = Array.isArray(parsed) ? parsed[0] : parsed;
  }
  if (key === undefined && password === undefined) {
    throw new ArgumentError(
      'sshConnect needs credentials: a privateKey, a privateKeyFile or a password',
    );
  }
  return { username, key, password };
}

type HostKeyVerdict = { accepted: true } | { accepted: false; error: HostKeyError };

/** The host key check, set up before connecting: fingerprints, a known_hosts file, or none. */
async function hostKeyCheck(
  options: SshConnectOptions,
  host: string,
  port: number,
): Promise<(key: Buffer) => HostKeyVerdict> {
  const { hostFingerprint, knownHosts, insecureHostKey } = options;
  if (insecureHostKey !== undefined && typeof insecureHostKey !== 'boolean') {
    throw new ArgumentError('sshConnect: insecureHostKey must be true or false');
  }
  if (insecureHostKey === true) {
    if (hostFingerprint !== undefined || knownHosts !== undefined) {
      throw new ArgumentError(
        'sshConnect: insecureHostKey turns the host key check off; it cannot be combined with hostFingerprint or knownHosts',
      );
    }
    return () => ({ accepted: true });
  }
  const fingerprints =
    hostFingerprint === undefined
      ? []
      : (Array.isArray(hostFingerprint) ? hostFingerprint : [hostFingerprint]).map((value) =>
          parseFingerprint(value),
        );
  if (Array.isArray(hostFingerprint) && fingerprints.length === 0) {
    throw new ArgumentError('sshConnect: hostFingerprint is an empty list');
  }
  let file: string | undefined;
  let text = '';
  if (knownHosts !== undefined || fingerprints.length === 0) {
    if (knownHosts !== undefined && (typeof knownHosts !== 'string' || knownHosts === '')) {
      throw new ArgumentError(
        `sshConnect: knownHosts must be a path, not ${describeValue(knownHosts)}`,
      );
    }
    file = knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A missing default file knows no host; a file named on purpose must be readable.
      if (knownHosts !== undefined || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ArgumentError(
          `sshConnect: cannot read the known_hosts file ${JSON.stringify(file)}: ${describeSystemError(error)}`,
          { cause: error },
        );
      }
    }
  }
  const entries = parseKnownHosts(text);
  const name = knownHostsName(host, port);
  const peer = formatHostPort(host, port);
  return (key) => {
    const offered = { fingerprint: hostKeyFingerprint(key), keyType: hostKeyType(key) };
    const shown = `${offered.keyType} ${offered.fingerprint}`;
    const context = { address: host, port, network: 'tcp' as const };
    if (file !== undefined) {
      const verdict = checkKnownHost(entries, name, key);
      if (verdict.status === 'revoked') {
        const error = new HostKeyError(
          `host key of ${peer} (${shown}) is marked @revoked in ${file} line ${verdict.entry.line}`,
          'revoked',
          offered,
          context,
        );
        return { accepted: false, error };
      }
      if (verdict.status === 'match') return { accepted: true };
      if (fingerprints.includes(offered.fingerprint)) return { accepted: true };
      if (verdict.status === 'mismatch') {
        const error = new HostKeyError(
          `host key of ${peer} has changed: it offered ${shown}, which ${file} does not list for ${name} (line ${verdict.lines.join(', ')}); someone may be intercepting the connection, or the host was reinstalled`,
          'mismatch',
          offered,
          context,
        );
        return { accepted: false, error };
      }
      const error = new HostKeyError(
        `host key of ${peer} (${shown}) is not known: ${file} has no entry for ${name}; check the fingerprint with the server's owner, then pass it as hostFingerprint or add the key to known_hosts`,
        'unknown',
        offered,
        context,
      );
      return { accepted: false, error };
    }
    if (fingerprints.includes(offered.fingerprint)) return { accepted: true };
    const expected =
      fingerprints.length === 1 ? fingerprints[0] : `one of ${fingerprints.join(', ')}`;
    const error = new HostKeyError(
      `host key of ${peer} does not match: it offered ${shown}, expected ${expected}`,
      'mismatch',
      offered,
      context,
    );
    return { accepted: false, error };
  };
}

function checkTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT;
  if (typeof value === 'number' && value > 0) return value;
  throw new ArgumentError(
    `sshConnect: timeout must be a number of milliseconds > 0 (or Infinity), not ${describeValue(value)}`,
  );
}

/**
 * One SSH connection: run commands on it with process(), open a shell with shell(), and close
 * it with close(). Sessions share the connection; closing it ends them.
 */
export class SshConnection implements SshSessionHost {
  /** `host:port` of the server. */
  readonly peerName: string;
  /** The server's address as connected. */
  readonly remote: Endpoint | undefined;
  /** The user signed in as. */
  readonly username: string;
  /** The server's host key: its type ('ssh-ed25519') and SHA-256 fingerprint. */
  readonly hostKey: { keyType: string; fingerprint: string };

  #client: Client;
  #socket: Duplex;
  #error: Error | undefined;
  #closed = false;
  #closedPromise: Promise<void>;

  /** @internal Use sshConnect(). */
  constructor(
    client: unknown,
    info: {
      peerName: string;
      remote: Endpoint | undefined;
      username: string;
      hostKey: { keyType: string; fingerprint: string };
      socket: Duplex;
    },
  ) {
    const ssh = client as Client;
    this.#client = ssh;
    this.#socket = info.socket;
    this.peerName = info.peerName;
    this.remote = info.remote;
    this.username = info.username;
    this.hostKey = info.hostKey;
    this.#closedPromise = new Promise<void>((resolve) => {
      ssh.once('close', () => {
        this.#closed = true;
        resolve();
      });
    });
    ssh.on('error', (error: Error) => {
      this.#error ??= connectionFailure(error, this.peerName);
    });
  }

  /** True once the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Run `command` on the server and return a tube over it. A string is a command line for the
   * remote user's shell (as `ssh host 'cmd'`); an array is quoted for a POSIX shell, word for word.
   */
  process(
    command: string | readonly string[],
    options: SshProcessOptions = {},
  ): Promise<SshProcessTube> {
    return this.#open('exec', commandLine(command), options);
  }

  /** Open the remote user's login shell, on a pty unless `pty: false`, as a tube. */
  shell(options: SshShellOptions = {}): Promise<SshProcessTube> {
    return this.#open('shell', undefined, { pty: true, ...options });
  }

  /**
   * Close the connection: sessions still open end with it (their tubes see the channel close).
   * Resolves when the connection is closed. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#client.end();
      // A socket whose far end has already gone: nothing more will come to close it.
      if (!this.#socket.writable) this.#socket.destroy();
    }
    return this.#closedPromise;
  }

  /** @internal Open a session channel for sshProcess(), which owns the connection. */
  openOwned(command: string, options: SshProcessOptions): Promise<SshProcessTube> {
    return this.#open('exec', command, options, true);
  }

  async #open(
    kind: 'exec' | 'shell',
    command: string | undefined,
    options: SshProcessOptions,
    owned = false,
  ): Promise<SshProcessTube> {
    const checked = checkSshProcessOptions(options, kind === 'exec' ? 'process' : 'shell');
    if (this.#closed) {
      throw this.#error ?? new SshError(`ssh connection to ${this.peerName} is closed`);
    }
    const what =
      kind === 'exec' ? `run ${JSON.stringify(truncate(command ?? ''))}` : 'open a shell';
    // The stream takes the channel over in ssh2's callback: the command's output and exit
    // status may be parsed from the same packet burst, before any await would resume.
    const stream = await new Promise<SshChannelStream>((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (error) {
          reject(
            this.#error ??
              new SshError(`ssh server ${this.peerName} refused to ${what}: ${error.message}`, {
                op: 'exec',
                ...this.#context(),
              }),
          );
          return;
        }
        resolve(
          new SshChannelStream(channel as unknown as SshChannel, {
            stderr: checked.stderr,
            killGraceMs: checked.killGraceMs,
            connectionError: () => this.#error,
          }),
        );
      };
      try {
        const pty = checked.pty === undefined ? undefined : ptyRequest(checked.pty);
        const env = checked.env === undefined ? {} : { env: checked.env };
        if (kind === 'exec') this.#client.exec(command!, { ...(pty ? { pty } : {}), ...env }, done);
        else this.#client.shell(pty ?? false, env, done);
      } catch {
        // ssh2 throws "Not connected" when the socket went away meanwhile.
        reject(
          this.#error ??
            new SshError(`ssh connection to ${this.peerName} is closed`, this.#context()),
        );
      }
    });
    const tube = new SshProcessTube(
      stream,
      { ...checked.tubeOptions, network: 'tcp', ...(this.remote ? { remote: this.remote } : {}) },
      { pty: checked.pty !== undefined, connection: this, owned },
    );
    return tube;
  }

  #context() {
    return this.remote
      ? { network: 'tcp' as const, address: this.remote.address, port: this.remote.port }
      : {};
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** ssh2's pty request: the size, TERM, and for raw mode RFC 4254's terminal modes (cfmakeraw). */
function ptyRequest(pty: {
  cols: number;
  rows: number;
  term: string;
  raw: boolean;
}): PseudoTtyOptions {
  return {
    cols: pty.cols,
    rows: pty.rows,
    width: 0,
    height: 0,
    term: pty.term,
    ...(pty.raw
      ? {
          modes: {
            ECHO: 0 as const,
            ECHOE: 0 as const,
            ECHOK: 0 as const,
            ECHONL: 0 as const,
            ICANON: 0 as const,
            ISIG: 0 as const,
            IEXTEN: 0 as const,
            ICRNL: 0 as const,
            INLCR: 0 as const,
            IGNCR: 0 as const,
            IXON: 0 as const,
            ISTRIP: 0 as const,
            OPOST: 0 as const,
            CS8: 1 as const,
            PARENB: 0 as const,
          },
        }
      : {}),
  };
}

const SHELL_SAFE = /^[A-Za-z0-9_./=:@%+,-]+$/;

/** A command line: a string as given, an array quoted word by word for a POSIX shell. */
function commandLine(command: unknown): string {
  if (typeof command === 'string') {
    if (command === '') throw new ArgumentError('ssh process needs a command (a non-empty string)');
    return command;
  }
  if (
    Array.isArray(command) &&
    command.length > 0 &&
    command.every((word) => typeof word === 'string')
  ) {
    return (command as string[])
      .map((word) => (SHELL_SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`))
      .join(' ');
  }
  throw new ArgumentError(
    `ssh process needs a command: a string or a non-empty array of strings, not ${describeValue(command)}`,
  );
}

/** An ssh2 error after the connection was up, in sockcat's words. */
function connectionFailure(error: Error, peer: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new ConnectionResetError(
      `ssh connection to ${peer} reset: ${describeSystemError(error)}`,
      { cause: error },
    );
  }
  return new SshError(`ssh connection to ${peer} failed: ${describeSystemError(error)}`, {
    op: 'read',
    cause: error,
  });
}

/**
 * Connect to an SSH server, check its host key, sign in, and return the connection. Errors:
 * ResolveError, ConnectionRefusedError, ConnectError (the TCP connect, as connect() gives them),
 * HostKeyError, SshAuthError, SshError (the handshake), TimeoutError, AbortError, ArgumentError.
 */
export async function sshConnect(
  target: SshTarget,
  options: SshConnectOptions = {},
): Promise<SshConnection> {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`sshConnect options must be an object, not ${describeValue(options)}`);
  }
  const { host, port } = parseSshTarget(target);
  const peer = formatHostPort(host, port);
  const timeout = checkTimeout(options.timeout);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ArgumentError(
      `sshConnect: signal must be an AbortSignal, not ${describeValue(signal)}`,
    );
  }
  const started = Date.now();
  const { Client } = loadSsh2();
  const creds = await credentials(options);
  const verify = await hostKeyCheck(options, host, port);
  const {
    username: _u,
    privateKey: _k,
    privateKeyFile: _f,
    passphrase: _p,
    password: _w,
    hostFingerprint: _h,
    knownHosts: _n,
    insecureHostKey: _i,
    timeout: _t,
    signal: _s,
    ...dial
  } = options;
  const tcp = await connect(
    { host, port },
    {
      ...dial,
      ...(Number.isFinite(timeout) ? { timeout } : {}),
      ...(signal ? { signal } : {}),
    },
  );
  const remote = tcp.remote;
  const socket = tcp.toStream();
  // The socket is half-open (as every tube's is); ssh2 expects one that ends when the server's
  // side does, as a net.Socket of its own would.
  socket.once('end', () => socket.end());
  const client = new Client();
  let offered: { keyType: string; fingerprint: string } | undefined;
  let refusal: HostKeyError | undefined;
  const tried: string[] = [];
  const methods: Array<
    | { type: 'publickey'; username: string; key: ParsedKey }
    | { type: 'password'; username: string; password: string }
  > = [];
  if (creds.key) methods.push({ type: 'publickey', username: creds.username, key: creds.key });
  if (creds.password !== undefined) {
    methods.push({ type: 'password', username: creds.username, password: creds.password });
  }
  const context = { address: host, port, network: 'tcp' as const };
  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      client.removeAllListeners('ready');
      // Errors still to come from a dying connection have nowhere to go.
      client.on('error', () => {});
      client.destroy();
      socket.destroy();
      reject(error);
    };
    const onAbort = () =>
      fail(new AbortError(`ssh to ${peer} aborted`, { op: 'connect', ...context }));
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const remaining = timeout - (Date.now() - started);
    if (Number.isFinite(timeout)) {
      timer = setTimeout(
        () =>
          fail(
            new TimeoutError(
              `ssh to ${peer} timed out after ${timeout}ms (${offered ? 'signing in' : 'in the SSH handshake'})`,
              timeout,
              { op: 'handshake', ...context },
            ),
          ),
        Math.max(remaining, 0),
      );
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('error', (error: Error & { level?: string }) => {
      if (settled) return;
      if (refusal) return fail(refusal);
      if (error.level === 'client-authentication') {
        const how = tried.length > 0 ? tried.join(', then ') : 'no method the server offers';
        const keyNote = creds.key ? ` (key ${hostKeyFingerprint(creds.key.getPublicSSH())})` : '';
        return fail(
          new SshAuthError(
            `ssh server ${peer} refused authentication as ${JSON.stringify(creds.username)}: tried ${how}${tried.includes('publickey') ? keyNote : ''}`,
            creds.username,
            [...tried],
            context,
          ),
        );
      }
      if (error.level === 'client-socket') {
        const code = (error as NodeJS.ErrnoException).code;
        const failure =
          code === 'ECONNRESET' || code === 'EPIPE'
            ? new ConnectionResetError(
                `ssh connection to ${peer} reset during the handshake: ${describeSystemError(error)}`,
                { op: 'handshake', ...context, cause: error },
              )
            : new SshError(`ssh handshake with ${peer} failed: ${describeSystemError(error)}`, {
                ...context,
                cause: error,
              });
        return fail(failure);
      }
      fail(
        new SshError(`ssh handshake with ${peer} failed: ${error.message}`, {
          ...context,
          cause: error,
        }),
      );
    });
    client.once('close', () => {
      fail(
        refusal ??
          new SshError(`ssh server ${peer} closed the connection during the handshake`, context),
      );
    });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      cleanup();
      client.removeAllListeners('error');
      resolve(
        new SshConnection(client, {
          peerName: peer,
          remote,
          username: creds.username,
          hostKey: offered ?? { keyType: '', fingerprint: '' },
          socket,
        }),
      );
    });
    const config: ConnectConfig = {
      sock: socket,
      username: creds.username,
      readyTimeout: 0,
      hostVerifier: (key: Buffer) => {
        offered = { fingerprint: hostKeyFingerprint(key), keyType: hostKeyType(key) };
        const verdict = verify(key);
        if (!verdict.accepted) refusal = verdict.error;
        return verdict.accepted;
      },
      authHandler: (left, _partial, next) => {
        while (methods.length > 0) {
          const method = methods.shift()!;
          if (left === null || left === undefined || left.includes(method.type)) {
            tried.push(method.type);
            return next(method);
          }
        }
        return next(false as unknown as 'none');
      },
    };
    try {
      client.connect(config);
    } catch (error) {
      fail(
        new SshError(`ssh to ${peer} failed: ${(error as Error).message}`, {
          ...context,
          cause: error,
        }),
      );
    }
  });
}

/** sshProcess()'s options: sshConnect's, the session's, and the tube's under `tube`. */
export interface SshProcessConnectOptions
  extends SshConnectOptions,
    Pick<SshProcessOptions, 'pty' | 'env' | 'stderr' | 'killGraceMs'> {
  /** Options of the returned tube (receive timeout, encoding, newline, log, closeTimeout). */
  tube?: TubeOptions;
}

/**
 * Connect, run one command and return a tube over it (pwntools' `ssh(...).process()`); the tube
 * owns the connection, so `close()` resolves when the command has exited and the connection is
 * closed.
 */
export async function sshProcess(
  target: SshTarget,
  command: string | readonly string[],
  options: SshProcessConnectOptions = {},
): Promise<SshProcessTube> {
  const line = commandLine(command);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`sshProcess options must be an object, not ${describeValue(options)}`);
  }
  const { pty, env, stderr, killGraceMs, tube, ...connectOptions } = options;
  const session: SshProcessOptions = {
    ...(tube ?? {}),
    ...(pty !== undefined ? { pty } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(stderr !== undefined ? { stderr } : {}),
    ...(killGraceMs !== undefined ? { killGraceMs } : {}),
  };
  checkSshProcessOptions(session, 'sshProcess');
  const connection = await sshConnect(target, connectOptions);
  try {
    return await connection.openOwned(line, session);
  } catch (error) {
    await connection.close();
    throw error;
  }
}
