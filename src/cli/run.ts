import { SockcatError } from '../errors.js';
import { VERSION } from '../version.js';
import { helpText, type ParseContext, parseArgs } from './args.js';
import type { Context } from './context.js';
import { createEventSink, type EventSink } from './events.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliIO } from './io.js';
import { createLog, type Log } from './log.js';
import { openbsdHelpText, openbsdMessage, QuietExit } from './openbsd-wording.js';
import type { Options } from './options.js';
import { buildPlan } from './plan.js';
import { openSessionLog, type SessionLog } from './session-log.js';

/** Run parsed options against the given io; resolves to the exit status. Never throws. */
export async function run(options: Options, io: CliIO, program = 'sockcat'): Promise<number> {
  if (options.command === 'help') {
    io.stdout.write(options.dialect === 'openbsd' ? openbsdHelpText(VERSION) : helpText(VERSION));
    return ExitCode.Ok;
  }
  if (options.command === 'version') {
    io.stdout.write(`sockcat ${VERSION} (ncat-compatible; Node.js ${process.version})\n`);
    return ExitCode.Ok;
  }
  const log = createLog(io.stderr, options.verbosity, program);
  if (options.dialect === 'ncat') log.info(1, `Version ${VERSION} ( sockcat, ncat-compatible )`);
  let events: EventSink = createEventSink(undefined, io.stderr);
  let sessionLog: SessionLog | undefined;
  try {
    // The plan first: an option the layers cannot honour is refused before any file or socket
    // opens; one they accept and ignore (as ncat) is named in a warning.
    const plan = buildPlan(options);
    for (const warning of plan.warnings) log.error(warning);
    events = createEventSink(options.json, io.stderr);
    // -z has no session data: its -o/-x files are left as they are (the plan warned).
    if (plan.io !== 'scan') sessionLog = openSessionLog(options);
    const ctx: Context = { options, plan, io, log, sessionLog, events };
    const { runPlan } = await import('./runner.js');
    return (await runPlan(ctx, plan)) ? ExitCode.Ok : ExitCode.NetworkError;
  } catch (error) {
    const status = report(error, log, io, options);
    const cause = error instanceof QuietExit ? error.reason : error;
    if (status !== 130) {
      events.emit({
        event: 'error',
        code: cause instanceof SockcatError ? cause.code : 'SOCKCAT_INTERNAL',
        message: cause instanceof Error ? cause.message : String(cause),
        exitStatus: status,
      });
    }
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
    return report(error, createLog(io.stderr, 0, program), io);
  }
  return run(options, io, program);
}

function report(error: unknown, log: Log, io: CliIO, options?: Options): number {
  if (error instanceof QuietExit) return error.status;
  if (error instanceof SockcatError) {
    if (error.code === 'SOCKCAT_ABORTED' && io.signal?.aborted) return 130;
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
    io.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  }
  return exitCodeFor(error);
}
