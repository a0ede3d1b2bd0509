/**
 * The runner: a plan's layers → the code that runs them. One decision per layer, in one
 * direction (argv → Options → plan → here → the transports); nothing here reads an option the
 * plan has not checked. Each branch's module implements the layers it is named after; modules
 * load lazily so that a run pays only for its own layers.
 */
import { ArgumentError } from '../errors.js';
import type { Context } from './context.js';
import type { Plan } from './plan.js';

/** Run the plan. Resolves with false when a scan found nothing open (exit 1). */
export async function runPlan(ctx: Context, plan: Plan): Promise<boolean> {
  if (ctx.options.raw && (ctx.io.stdin as { isTTY?: boolean }).isTTY !== true) {
    throw new ArgumentError(
      '--raw needs a terminal on standard input (it puts that terminal in raw mode)',
    );
  }
  if (
    ctx.options.ptyResize &&
    ctx.options.raw &&
    (ctx.io.stdout as { isTTY?: boolean }).isTTY !== true
  ) {
    throw new ArgumentError(
      '--pty-resize with --raw needs a terminal on standard output (its window size is sent)',
    );
  }
  if (ctx.options.socket) {
    // Fail before any connection when an option cannot be honoured (no native addon).
    const { requireSocketOptionSupport } = await import('../transports/socket-options.js');
    requireSocketOptionSupport(ctx.options.socket);
  }
  switch (plan.io) {
    case 'scan':
      return (await import('./modes/scan.js')).runScan(ctx);
    case 'proxy-server':
      await (await import('./modes/proxy-server.js')).runProxyServer(ctx);
      return true;
    case 'forward':
      await (await import('./modes/forward.js')).runForward(ctx);
      return true;
    default:
      break;
  }
  if (plan.multiplicity === 'broker' || plan.multiplicity === 'chat') {
    await (await import('./modes/broker.js')).runBroker(ctx);
    return true;
  }
  switch (plan.transport) {
    case 'websocket':
      // -l is the one-client acceptor's and -l -k serve()'s, as over TCP (below).
      if (plan.role === 'listen') break;
      await (await import('./modes/websocket.js')).runWebSocketConnect(ctx);
      return true;
    case 'seqpacket':
      if (plan.role === 'listen') break;
      await (await import('./modes/seqpacket.js')).runSeqpacketConnect(ctx);
      return true;
    case 'unix-dgram': {
      const modes = await import('./modes/unix-datagram.js');
      await (plan.role === 'listen'
        ? modes.runUnixDatagramListen(ctx)
        : modes.runUnixDatagramConnect(ctx));
      return true;
    }
    case 'udp':
      if (plan.role === 'listen') await (await import('./modes/udp-listen.js')).runUdpListen(ctx);
      else await (await import('./modes/udp-connect.js')).runUdpConnect(ctx);
      return true;
    default:
      break;
  }
  // Stream transports (tcp, unix, websocket, seqpacket): -l -k serves many clients at once
  // (serve()), -l one (the one-client acceptor), and nc's -k one after another (the same).
  // In connect mode -k is a session that stays half-open after the peer's EOF (ncat 7.96).
  if (
    plan.role === 'listen' &&
    plan.multiplicity === 'keep-open' &&
    !ctx.options.keepOpenSequential
  ) {
    await (await import('./modes/keep-open.js')).runKeepOpen(ctx);
  } else if (plan.role === 'listen') {
    await (await import('./modes/listen.js')).runListen(ctx);
  } else {
    await (await import('./modes/connect.js')).runConnect(ctx);
  }
  return true;
}
