import { SockcatError } from '../errors.js';
import { VERSION } from '../version.js';
import { type ParseContext, parseArgs } from './args.js';
import { completionScript } from './completions.js';
import type { Context } from './context.js';
import { type CliEvent, createEventSink, type EventSink } from './events.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { helpText, installedDocs } from './help.js';
import { interruptStatus } from './interrupt.js';
import type { CliIO } from './io.js';
import { createEventLog, createLog, type Log } from './log.js';
import { openbsdHelpText, openbsdMessage, QuietExit } from './openbsd-wording.js';
import type { Options } from './options.js';
import { buildPlan } from './plan.js';
import { openSessionLog, type SessionLog } from './session-log.js';
import { versionText } from './version-text.js';

/** Run parsed options against the given io; resolves to the exit status. Never throws. */
export async function run(options: Options, io: CliIO, program = 'sockcat'): Promise<number> {
  if (options.command === 'help') {
    io.stdout.write(
      options.dialect === 'openbsd' ? openbsdHelpText(VERSION) : helpText(VERSION, installedDocs()),
    );
    return ExitCode.Ok;
  }
  if (options.command === 'completions') {
    io.stdout.write(completionScript(options.completions ?? 'bash'));
    return ExitCode.Ok;
  }
  if (options.command === 'version') {
    io.stdout.write(versionText());
    return ExitCode.Ok;
  }
  // --json on stderr: stderr carries NDJSON only, messages become `log` events (never throws).
  const ndjsonStderr = jsonOnStderr(options.json);
  let events: EventSink = createEventSink(ndjsonStderr ? options.json : undefined, io.stderr);
  const log = ndjsonStderr
    ? createEventLog(events, options.verbosity)
    : createLog(io.stderr, options.verbosity, program);
  if (options.dialect === 'ncat') log.info(1, `Version ${VERSION} ( sockcat, ncat-compatible )`);
  let sessionLog: SessionLog | undefined;
  try {
    // The plan first: an option the layers cannot honour is refused before any file or socket
    // opens; one they accept and ignore (as ncat) is named in a warning.
    const plan = buildPlan(options);
    for (const warning of plan.warnings) log.error(warning);
    if (!ndjsonStderr) events = createEventSink(options.json, io.stderr);
    // -z has no session data: its -o/-x files are left as they are (the plan warned).
    if (plan.io !== 'scan') sessionLog = openSessionLog(options);
    const ctx: Context = {
      options,
      plan,
      io,
      log,
      sessionLog,
      events: startingLog(events, sessionLog),
    };
    const { runPlan } = await import('./runner.js');
    return (await runPlan(ctx, plan)) ? ExitCode.Ok : ExitCode.NetworkError;
  } catch (error) {
    const status = report(error, log, io, options, ndjsonStderr);
    if (!interrupted(error, io)) events.emit(errorEvent(error, status));
    return status;
  } finally {
    sessionLog?.close();
    events.close();
  }
}

/**
 * Parse and run: the whole CLI, minus the process. `context.invokedAs` is the name sockcat was run
 * as; `nc` selects the OpenBSD dialect and prefixes messages with `nc:`.
 */
export async function main(
  argv: readonly string[],
  io: CliIO,
  context: ParseContext = {},
): Promise<number> {
  const program = context.invokedAs === 'nc' ? 'nc' : 'sockcat';
  let options: Options;
  try {
    options = parseArgs(argv, { ...context, env: io.env });
  } catch (error) {
    if (argv.some((arg) => arg === '--json' || jsonOnStderr(/^--json=(.*)$/.exec(arg)?.[1]))) {
      // Asked for NDJSON on stderr: the usage error is an event too, and the only line.
      const events = createEventSink('', io.stderr);
      const status = report(error, createEventLog(events, 0), io, undefined, true);
      events.emit(errorEvent(error, status));
      return status;
    }
    return report(error, createLog(io.stderr, 0, program), io);
  }
  return run(options, io, program);
}

/**
 * The -o/-x files open once the run is past its checks: at its first listening, connected or
 * accepted event (every mode reports those), so a run that fails before leaves an old log intact.
 */
function startingLog(events: EventSink, sessionLog: SessionLog | undefined): EventSink {
  if (!sessionLog) return events;
  return {
    get enabled() {
      return events.enabled;
    },
    nextId: () => events.nextId(),
    close: () => events.close(),
    emit(event) {
      if (
        event.event === 'listening' ||
        event.event === 'connected' ||
        event.event === 'accepted'
      ) {
        sessionLog.start();
      }
      events.emit(event);
    },
  };
}

/** The code of the system or OpenSSL error under a failure (`ENOENT`), for --json and -vvv. */
function causeCode(error: unknown): string | undefined {
  const code = ((error as { cause?: unknown } | undefined)?.cause as { code?: unknown } | undefined)
    ?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether the run ended because the CLI's signal was aborted (SIGINT, SIGHUP, ...). */
function interrupted(error: unknown, io: CliIO): boolean {
  return error instanceof SockcatError && error.code === 'SOCKCAT_ABORTED' && !!io.signal?.aborted;
}

/** `--json` (value '') and `--json=-` write events to stderr. */
function jsonOnStderr(target: string | undefined): boolean {
  return target === '' || target === '-';
}

/** The `error` event that ends a failed run. */
function errorEvent(error: unknown, status: number): CliEvent {
  const cause = error instanceof QuietExit ? error.reason : error;
  return {
    event: 'error',
    code: cause instanceof SockcatError ? cause.code : 'SOCKCAT_INTERNAL',
    message: cause instanceof Error ? cause.message : String(cause),
    exitStatus: status,
    ...(causeCode(cause) ? { cause: causeCode(cause)! } : {}),
  };
}

/**
 * The error's line on stderr (unless `asEvent`: the `error` event says it) and its exit status.
 */
function report(error: unknown, log: Log, io: CliIO, options?: Options, asEvent = false): number {
  if (error instanceof QuietExit) return error.status;
  if (asEvent) {
    if (interrupted(error, io)) return interruptStatus(io.signal);
    if (log.verbosity >= 3 || /\bsockcat\b/.test(io.env['NODE_DEBUG'] ?? '')) {
      log.info(0, `${error instanceof Error ? error.stack : String(error)}`);
    }
    return exitCodeFor(error);
  }
  if (error instanceof SockcatError) {
    if (interrupted(error, io)) return interruptStatus(io.signal);
    if (options?.dialect === 'openbsd') {
      // nc's words for the failures scripts look at; nc exits 1 for every runtime failure.
      log.error(openbsdMessage(error, options.port));
      return error.code === 'SOCKCAT_ARGS' || error.code === 'SOCKCAT_UNSUPPORTED'
        ? ExitCode.OtherError
        : ExitCode.NetworkError;
    }
    log.error(error.message);
  } else {
    // Not an expected failure: a bug. One line unless asked for more.
    const message = error instanceof Error ? error.message : String(error);
    log.error(`internal error: ${message}`);
  }
  if (log.verbosity >= 3 || /\bsockcat\b/.test(io.env['NODE_DEBUG'] ?? '')) {
    const underneath = causeCode(error);
    if (underneath) log.error(`(system code ${underneath})`);
    io.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  }
  return exitCodeFor(error);
}
