import { formatHostPort } from '../../address/host-port.js';
import { AbortError, ExecError, SockcatError, TimeoutError } from '../../errors.js';
import { createCrlfEncoder } from '../../relay/crlf.js';
import { connectionEnv, type ExecOptions, type ExecResult, execRelay } from '../../relay/exec.js';
import type { JsExecHandler } from '../../relay/exec-module.js';
import type { LuaScript } from '../../relay/lua-exec.js';
import { type RelayedBytes, relayedBytes } from '../../relay/relayed-bytes.js';
import type { Endpoint, Tube } from '../../tube/tube.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';
import { loadJsExecHandler } from '../js-exec.js';
import type { ExecSpec } from '../options.js';
import { listeningAddresses } from './listening.js';
import {
  emitClosed,
  emitTubeClosed,
  openSessionEvent,
  type ProxiedSession,
  peerName,
} from './session.js';

/** --pty without --pty-size: the classic terminal. */
const DEFAULT_PTY_SIZE = { cols: 80, rows: 24 };

/** The flag that asked for each kind, for messages. */
const FLAG = { exec: '-e', sh: '-c', js: '--js-exec', lua: '--lua-exec' } as const;

export interface SessionOptions {
  /** Aborted when the server shuts down (-k). */
  signal?: AbortSignal;
  /**
   * -k: a failure ends only this connection and is reported on stderr; otherwise it propagates
   * to run(), which reports it and sets the exit status.
   */
  keepOpen?: boolean;
  /**
   * The session belongs to a caller that reports it and times it (the datagram session table of
   * `-u -l -k`): its `accepted`/`closed` events and its -i expiry are the caller's, and the
   * command's `exec`/`exited` events carry this id.
   */
  managedId?: number;
  /** Connected through --proxy: the `connected` event names the destination and the chain. */
  via?: ProxiedSession;
}

/**
 * -e, -c, --js-exec and --lua-exec in every mode: connect, listen, and listen -k call `session()` with each
 * connected tube instead of relaying stdin/stdout. sockcat's own stdin and stdout are not used
 * (as ncat); -o/-x, -C, -d and -i apply to the connection.
 */
export interface ExecMode {
  /** After binding: warn when anyone may reach the command (no --allow, not loopback). */
  listening(bound: Endpoint): void;
  /**
   * Run the command (or the module) for one connection; resolves when it is over, with the
   * reason its `closed` event gives (`exited`, `returned`, `idle-timeout`, `aborted`, ...).
   */
  session(tube: Tube, how: 'connected' | 'accepted', options?: SessionOptions): Promise<string>;
}

/** What runs for each connection: a child (-e, -c), a JavaScript module or a Lua script. */
type Runner =
  | { kind: 'command' }
  | { kind: 'js'; handler: JsExecHandler }
  | { kind: 'lua'; script: LuaScript };

/**
 * Prepare exec mode before anything is bound or connected: a --js-exec module or a --lua-exec
 * script is loaded here, once, so that a bad one fails with status 2 before a client can arrive.
 */
export async function prepareExec(ctx: Context, spec: ExecSpec): Promise<ExecMode> {
  let runner: Runner = { kind: 'command' };
  if (spec.kind === 'js') {
    runner = { kind: 'js', handler: await loadJsExecHandler(spec.command, process.cwd()) };
  } else if (spec.kind === 'lua') {
    const { loadLuaScript } = await import('../../relay/lua-exec.js');
    runner = { kind: 'lua', script: await loadLuaScript(spec.command, process.cwd()) };
  }
  return {
    listening: (bound) => warnIfExposed(ctx, spec, bound),
    session: (tube, how, options = {}) => runExecSession(ctx, spec, runner, tube, how, options),
  };
}

function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\./.test(v4) || address === '::1';
}

/**
 * The one-line warning for a listener that runs a command for anyone: a non-loopback address
 * (the wildcard included) without --allow/--allowfile. Printed at every verbosity.
 */
function warnIfExposed(ctx: Context, spec: ExecSpec, bound: Endpoint): void {
  const { options, log } = ctx;
  if (options.unixSocket || bound.family === 0) return;
  if (options.access.allow.length + options.access.allowFiles.length > 0) return;
  if (isLoopback(bound.address)) return;
  const where = listeningAddresses(ctx, bound)
    .map((address) => formatHostPort(address, bound.port))
    .join(' and ');
  const what = { exec: 'command', sh: 'command', js: 'module', lua: 'script' }[spec.kind];
  log.error(
    `warning: ${FLAG[spec.kind]} on ${where} without --allow: anyone who can reach this port can run the ${what}`,
  );
}

/**
 * -i for an exec session: nothing sent or received for `ms`. The relay's taps call touch(); a
 * --js-exec module's traffic is seen through the tube's byte counters when the timer fires.
 */
function watchIdle(tube: Tube, ms: number | undefined, onIdle: () => void) {
  if (ms === undefined) return { touch() {}, stop() {} };
  let seen = tube.bytesSent + tube.bytesReceived;
  const timer = setTimeout(() => {
    const now = tube.bytesSent + tube.bytesReceived;
    if (now !== seen) {
      seen = now;
      timer.refresh();
      return;
    }
    onIdle();
  }, ms);
  return {
    touch() {
      seen = tube.bytesSent + tube.bytesReceived;
      timer.refresh();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0] ?? '';
}

async function runExecSession(
  ctx: Context,
  spec: ExecSpec,
  runner: Runner,
  tube: Tube,
  how: 'connected' | 'accepted',
  sessionOptions: SessionOptions,
): Promise<string> {
  const { options, io, log } = ctx;
  const started = monotonicMs();
  const managed = sessionOptions.managedId !== undefined;
  const id =
    sessionOptions.managedId ?? openSessionEvent(ctx, tube, how, undefined, sessionOptions.via);
  const peer = peerName(tube);
  // One signal ends the session: the idle timer, an interrupt, or the server shutting down.
  // (Listeners rather than AbortSignal.any: a long -k run would pile dependents on io.signal.)
  const controller = new AbortController();
  let idleExpired = false;
  const end = () => controller.abort();
  const outer = [io.signal, sessionOptions.signal].filter((s): s is AbortSignal => !!s);
  for (const source of outer) {
    if (source.aborted) end();
    else source.addEventListener('abort', end, { once: true });
  }
  const signal = controller.signal;
  const idle = watchIdle(tube, managed ? undefined : options.idleTimeout, () => {
    idleExpired = !signal.aborted;
    end();
  });
  let reason = 'exited';
  let failure: Error | undefined;
  // -e/-c: what the relay moved (the native path moves bytes the tube never counts).
  let moved: RelayedBytes | undefined;
  try {
    if (runner.kind === 'js') {
      reason = await runModule(spec, runner.handler, tube, signal, !!sessionOptions.keepOpen);
    } else if (runner.kind === 'lua') {
      reason = await runLua(
        ctx,
        runner.script,
        tube,
        signal,
        idle.touch,
        !!sessionOptions.keepOpen,
      );
    } else {
      const result = await runCommand(ctx, spec, tube, id, signal, idle.touch);
      reason = result.end === 'reset' ? 'reset' : 'exited';
      moved = result;
    }
    // A managed session's owner says when it ends.
    if (!managed) log.info(2, `session with ${peer} ended: ${reason}`);
  } catch (error) {
    tube.destroy();
    moved = relayedBytes(error);
    if (idleExpired) {
      reason = 'idle-timeout';
      const ms = options.idleTimeout ?? 0;
      failure = new TimeoutError(`idle timeout expired (${ms} ms)`, ms, { op: 'read' });
    } else if (error instanceof AbortError) {
      reason = 'aborted';
      failure = error;
    } else {
      reason = error instanceof ExecError ? 'exec-failed' : 'error';
      failure = error instanceof Error ? error : new Error(String(error));
    }
  } finally {
    idle.stop();
    for (const source of outer) source.removeEventListener('abort', end);
    if (managed) {
      // The session table reports the session (its closed event counts the datagrams).
    } else if (moved) emitClosed(ctx, id, reason, moved, started);
    else emitTubeClosed(ctx, id, reason, tube, started);
  }
  if (!failure) return reason;
  if (!sessionOptions.keepOpen) throw failure;
  // -k: this connection ends, the server goes on. A shutdown is not worth a line.
  if (reason === 'aborted') return reason;
  if (reason === 'idle-timeout') log.info(1, `${failure.message} (${peer})`);
  else if (failure instanceof SockcatError) log.error(failure.message);
  else log.error(`internal error: ${firstLine(failure)}`);
  return reason;
}

/** -e / -c: the child's stdio is the connection. Resolves with the relay's result. */
async function runCommand(
  ctx: Context,
  spec: ExecSpec,
  tube: Tube,
  id: number,
  signal: AbortSignal,
  touch: () => void,
): Promise<ExecResult> {
  const { options, log, sessionLog, events } = ctx;
  const command = spec.command;
  const tap = (chunk: Buffer) => {
    touch();
    sessionLog?.record(chunk);
  };
  let pid: number | undefined;
  const execOptions: ExecOptions = {
    command,
    shell: spec.kind === 'sh',
    signal,
    onSpawn: (spawned) => {
      pid = spawned;
      log.info(2, `Executing ${JSON.stringify(command)} (pid ${pid})`);
      events.emit({ event: 'exec', id, command, pid });
    },
    onExit: (code, exitSignal) => {
      log.info(
        2,
        `pid ${pid} ${code === null ? `ended by ${exitSignal}` : `exited with status ${code}`}`,
      );
      events.emit({ event: 'exited', id, code, signal: exitSignal });
    },
    // Activity (for -i) is not a tap: without -o/-x the bytes may take the native data path.
    onActivity: touch,
  };
  if (options.dialect === 'ncat')
    execOptions.onDataPath = (path) => log.info(1, `Data path: ${path}.`);
  if (sessionLog) {
    execOptions.onSend = tap;
    execOptions.onReceive = tap;
  }
  if (options.idleTimeout !== undefined) {
    execOptions.activityIntervalMs = Math.min(250, Math.max(5, options.idleTimeout / 4));
  }
  if (options.crlf) execOptions.transformSend = createCrlfEncoder();
  if (options.delay !== undefined) execOptions.sendDelay = options.delay;
  if (options.pty) execOptions.pty = options.ptySize ?? DEFAULT_PTY_SIZE;
  if (options.ptyResize) execOptions.ptyResize = true;
  return execRelay(tube, execOptions);
}

/**
 * --js-exec: the module's default export runs with the tube. Returning closes the connection
 * gracefully (FIN after pending writes); throwing resets it and reports the error in one line.
 */
async function runModule(
  spec: ExecSpec,
  handler: JsExecHandler,
  tube: Tube,
  signal: AbortSignal,
  keepOpen: boolean,
): Promise<string> {
  const env = connectionEnv(tube);
  const onAbort = () => tube.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) onAbort();
    try {
      await handler(tube, {
        remote: tube.remote,
        local: tube.local,
        proto: env['SOCKCAT_PROTO'] ?? 'TCP',
        env,
        signal,
      });
    } catch (error) {
      // Ended from outside (a shutdown, -i): what the handler threw is the closed tube it was
      // using, not a failure of its own.
      if (signal.aborted)
        throw new AbortError('--js-exec session ended', { op: 'exec', cause: error });
      tube.reset();
      throw new ExecError(
        `--js-exec ${JSON.stringify(spec.command)} failed for ${peerName(tube)}: ${firstLine(error)}`,
        spec.command,
        { cause: error },
      );
    }
    if (signal.aborted) throw new AbortError('--js-exec session ended', { op: 'exec' });
    // -k frees the slot at once; the graceful close finishes on its own.
    if (keepOpen) void tube.close();
    else await tube.close();
    return 'returned';
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * --lua-exec: the script runs in its own Lua state with the connection as its standard input and
 * output. When it returns (or calls os.exit) the connection is closed gracefully, as when an -e
 * child exits; a Lua error is reported in one line, and the connection is closed after what the
 * script had sent, as ncat's does when its Lua child dies.
 */
async function runLua(
  ctx: Context,
  script: LuaScript,
  tube: Tube,
  signal: AbortSignal,
  touch: () => void,
  keepOpen: boolean,
): Promise<string> {
  const { options, io, sessionLog } = ctx;
  const { runLuaScript } = await import('../../relay/lua-exec.js');
  const tap = (chunk: Buffer) => {
    touch();
    sessionLog?.record(chunk);
  };
  const luaOptions: Parameters<typeof runLuaScript>[2] = {
    env: { ...io.env, ...connectionEnv(tube) },
    stderr: io.stderr,
    signal,
    onSend: tap,
    onReceive: tap,
  };
  if (options.crlf) luaOptions.transformSend = createCrlfEncoder();
  if (options.delay !== undefined) luaOptions.sendDelayMs = options.delay;
  let end: string;
  try {
    end = await runLuaScript(script, tube, luaOptions);
  } catch (error) {
    // What the script sent before the error still reaches the peer.
    await tube.close();
    throw new ExecError(
      `--lua-exec ${JSON.stringify(script.file)} failed for ${peerName(tube)}: ${firstLine(error)}`,
      script.file,
      { cause: error },
    );
  }
  if (end === 'aborted') throw new AbortError('--lua-exec session ended', { op: 'exec' });
  if (keepOpen) void tube.close();
  else await tube.close();
  return end;
}
