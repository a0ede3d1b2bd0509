import { messageSocketStream } from '../../transports/message-stream.js';
import { connectSeqpacket } from '../../transports/seqpacket.js';
import { Tube } from '../../tube/tube.js';
import type { Context } from '../context.js';
import { runSession } from './session.js';

/**
 * `-U --seqpacket PATH`: a Unix SOCK_SEQPACKET connection, relayed like a stream connection with
 * the TCP end-of-file rules (it has an end of stream), each stdin read sent as one message and
 * each message written to stdout as it arrives. `-l` is the one-client acceptor's (listen.ts).
 */
export async function runSeqpacketConnect(ctx: Context): Promise<void> {
  const { options, log } = ctx;
  const path = options.host ?? '';
  const exec = options.exec
    ? await (await import('./exec.js')).prepareExec(ctx, options.exec)
    : undefined;
  const tube = seqpacketTube(await connectSeqpacket(path), path, 'remote');
  log.info(1, `Connected to ${path}.`);
  if (exec) await exec.session(tube, 'connected');
  else await runSession(ctx, tube, 'connected');
}

/** A seqpacket connection as a Tube; `side` is the end that has the socket's path. */
export function seqpacketTube(
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
