import { SockcatError } from '../errors.js';
import { VERSION } from '../version.js';
import { helpText, type Options, parseArgs } from './args.js';
import type { Context } from './context.js';
import { createEventSink, type EventSink } from './events.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliIO } from './io.js';
import { createLog, type Log } from './log.js';
import { openSessionLog, type SessionLog } from './session-log.js';

/** Run parsed options against the given io; resolves to the exit status. Never throws. */
export async function run(options: Options, io: CliIO): Promise<number> {
  if (options.command === 'help') {
    io.stdout.write(helpText(VERSION));
    return ExitCode.Ok;
  }
  if (options.command === 'version') {
    io.stdout.write(`sockcat ${VERSION} (ncat-compatible; Node.js ${process.version})\n`);
    return ExitCode.Ok;
  }
  const log = createLog(io.stderr, options.verbosity);
  log.info(1, `Version ${VERSION} ( sockcat, ncat-compatible )`);
  let events: EventSink = createEventSink(undefined, io.stderr);
  let sessionLog: SessionLog | undefined;
  try {
    events = createEventSink(options.json, io.stderr);
    sessionLog = openSessionLog(options);
    const ctx: Context = { options, io, log, sessionLog, events };
    if (options.zero) {
      const { runScan } = await import('./modes/scan.js');
      return (await runScan(ctx)) ? ExitCode.Ok : ExitCode.NetworkError;
    }
    if (options.proxyServer !== undefined) {
      const { runProxyServer } = await import('./modes/proxy-server.js');
      await runProxyServer(ctx);
    } else if (options.broker) {
      await (await import('./modes/broker.js')).runBroker(ctx);
    } else if (options.udp && options.unixSocket) {
      const modes = await import('./modes/unix-datagram.js');
      await (options.listen ? modes.runUnixDatagramListen(ctx) : modes.runUnixDatagramConnect(ctx));
    } else if (options.udp && options.listen) {
      const { runUdpListen } = await import('./modes/udp-listen.js');
      await runUdpListen(ctx);
    } else if (options.udp) {
      const { runUdpConnect } = await import('./modes/udp-connect.js');
      await runUdpConnect(ctx);
    } else if (options.keepOpen) {
      const { runKeepOpen } = await import('./modes/keep-open.js');
      await runKeepOpen(ctx);
    } else if (options.listen) {
      const { runListen } = await import('./modes/listen.js');
      await runListen(ctx);
    } else {
      const { runConnect } = await import('./modes/connect.js');
      await runConnect(ctx);
    }
    return ExitCode.Ok;
  } catch (error) {
    const status = report(error, log, io);
    if (status !== 130) {
      events.emit({
        event: 'error',
        code: error instanceof SockcatError ? error.code : 'SOCKCAT_INTERNAL',
        message: error instanceof Error ? error.message : String(error),
        exitStatus: status,
      });
    }
    return status;
  } finally {
    sessionLog?.close();
    events.close();
  }
}

/** Parse and run: the whole CLI, minus the process. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv, io.env);
  } catch (error) {
    return report(error, createLog(io.stderr, 0), io);
  }
  return run(options, io);
}

function report(error: unknown, log: Log, io: CliIO): number {
  if (error instanceof SockcatError) {
    if (error.code === 'SOCKCAT_ABORTED' && io.signal?.aborted) return 130;
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
