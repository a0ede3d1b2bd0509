import { messageSocketStream } from '../../transports/message-stream.js';
import { connectSeqpacket, listenSeqpacket } from '../../transports/seqpacket.js';
import { Tube } from '../../tube/tube.js';
import type { Context } from '../context.js';
import { runSession } from './session.js';

/**
 * `-U --seqpacket PATH`: a Unix SOCK_SEQPACKET connection, relayed like a stream connection with
 * the TCP end-of-file rules (it has an end of stream), each stdin read sent as one message and
 * each message written to stdout as it arrives.
 */
export async function runSeqpacket(ctx: Context): Promise<void> {
  const { options, io, log } = ctx;
  const path = options.host ?? '';
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  let tube: Tube;
  if (ctx.plan.role === 'listen') {
    const { prepareUnixListenPath } = await import('../unix-path.js');
    await prepareUnixListenPath(path, log, 'seqpacket');
    const listener = await listenSeqpacket(path, { backlog: 10 });
    log.info(1, `Listening on ${path}`);
    ctx.events.emit({ event: 'listening', transport: 'unix', local: { path } });
    try {
      const socket = await listener.accept(io.signal ? { signal: io.signal } : {});
      tube = wrap(socket, path, 'local');
    } finally {
      listener.close();
    }
    log.info(1, 'Connection from a client on Unix domain socket.');
  } else {
    tube = wrap(await connectSeqpacket(path), path, 'remote');
    log.info(1, `Connected to ${path}.`);
  }
  if (exec) await exec.session(tube, ctx.plan.role === 'listen' ? 'accepted' : 'connected');
  else await runSession(ctx, tube, ctx.plan.role === 'listen' ? 'accepted' : 'connected');
}

function wrap(
  socket: Awaited<ReturnType<typeof connectSeqpacket>>,
  path: string,
  side: 'local' | 'remote',
): Tube {
  const named = { address: path, port: 0, family: 0 as const };
  const unnamed = { address: '', port: 0, family: 0 as const };
  return new Tube(messageSocketStream(socket), {
    network: 'unixpacket',
    local: side === 'local' ? named : unnamed,
    remote: side === 'remote' ? named : unnamed,
  });
}
