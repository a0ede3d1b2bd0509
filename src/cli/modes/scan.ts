import { formatHostPort } from '../../address/host-port.js';
import { AbortError, ConnectionRefusedError, SockcatError, TimeoutError } from '../../errors.js';
import { type ConnectOptions, connect } from '../../transports/tcp-connect.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';

export type PortState = 'open' | 'closed' | 'filtered';

/**
 * `sockcat -z HOST PORTS`: connect to each port and close at once, sending nothing. With one
 * port this is ncat's -z (silent, the exit status tells). With a list or range, one line per open
 * port goes to stdout, closed and filtered ones to stderr with -v, and a summary to stderr.
 * Exit status: 0 when a port is open, 1 when none is.
 */
export async function runScan(ctx: Context): Promise<boolean> {
  if (ctx.plan.transport === 'udp') {
    const { runUdpScan } = await import('./udp-scan.js');
    return runUdpScan(ctx);
  }
  const { options, io, log } = ctx;
  if (options.dialect === 'openbsd') return runSequentialScan(ctx);
  const host = options.host ?? '';
  const ports = options.scanPorts ?? [options.port];
  const connectOptions: ConnectOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    timeout: options.connectTimeout,
    ...(options.sourceAddress !== undefined ? { localAddress: options.sourceAddress } : {}),
    // -p: one port is probed from this source port (the plan refuses -p with a port list).
    ...(options.sourcePort !== undefined ? { localPort: options.sourcePort } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  if (ctx.plan.transport === 'unix') {
    // -z -U: does anybody listen on this socket? (as ncat: connect and close)
    const tube = await connect({ path: host }, connectOptions);
    log.info(1, `Connected to ${host}.`);
    ctx.events.emit({ event: 'scan', host, port: 0, state: 'open' });
    tube.destroy();
    return true;
  }
  if (options.scanPorts === undefined) {
    // ncat 7.93's single-port -z: silent, the exit status tells; the connect error is shown
    // only with -v. Errors other than a closed or filtered port (resolution) fail as usual.
    let tube: Awaited<ReturnType<typeof connect>>;
    try {
      tube = await connect({ host, port: options.port }, connectOptions);
    } catch (error) {
      const state = failedState(error);
      log.info(1, (error as Error).message);
      ctx.events.emit({ event: 'scan', host, port: options.port, state });
      return false;
    }
    log.info(1, `Connected to ${formatHostPort(tube.remote?.address ?? host, options.port)}.`);
    ctx.events.emit({ event: 'scan', host, port: options.port, state: 'open' });
    tube.destroy();
    return true;
  }
  const started = monotonicMs();
  const states = new Map<number, PortState>();
  let next = 0;
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++]!;
      const state = await probe(host, port, connectOptions);
      states.set(port, state);
      ctx.events.emit({ event: 'scan', host, port, state });
      if (state === 'open') io.stdout.write(`${formatHostPort(host, port)} open\n`);
      else log.info(1, `${formatHostPort(host, port)} ${state}`);
    }
  };
  const workers = Math.min(options.scanConcurrency, ports.length);
  await Promise.all(Array.from({ length: workers }, worker));
  const count = (state: PortState) => [...states.values()].filter((s) => s === state).length;
  const durationMs = monotonicMs() - started;
  const seconds = (durationMs / 1000).toFixed(2);
  ctx.events.emit({
    event: 'scan-done',
    host,
    ports: ports.length,
    open: count('open'),
    closed: count('closed'),
    filtered: count('filtered'),
    durationMs: Math.round(durationMs),
  });
  log.error(
    `scanned ${ports.length} port${ports.length === 1 ? '' : 's'} on ${host} in ${seconds} s: ${count('open')} open, ${count('closed')} closed, ${count('filtered')} filtered`,
  );
  return count('open') > 0;
}

async function probe(host: string, port: number, options: ConnectOptions): Promise<PortState> {
  try {
    const tube = await connect({ host, port }, options);
    tube.destroy();
    return 'open';
  } catch (error) {
    return failedState(error);
  }
}

/** What a failed probe says about the port; other errors (abort, resolution) are rethrown. */
function failedState(error: unknown): Exclude<PortState, 'open'> {
  if (error instanceof ConnectionRefusedError) return 'closed';
  if (error instanceof TimeoutError) return 'filtered';
  if (error instanceof AbortError) throw error;
  // Unreachable, reset during the handshake: nothing answers there.
  if (error instanceof SockcatError && error.code === 'SOCKCAT_CONNECT') return 'filtered';
  throw error;
}

/**
 * nc.openbsd's -z: the ports one after the other in the order given (-r: shuffled), each address
 * of the host in turn; -v reports each success and failure in nc's words on stderr; -i waits
 * between ports. True when any port answered (exit 0), as nc.
 */
async function runSequentialScan(ctx: Context): Promise<boolean> {
  const { options, io } = ctx;
  const { connectInOrder } = await import('./openbsd-connect.js');
  const ports = [...(options.scanPorts ?? [options.port])];
  if (options.scanRandom) {
    for (let index = ports.length - 1; index > 0; index--) {
      const other = Math.floor(Math.random() * (index + 1));
      [ports[index], ports[other]] = [ports[other]!, ports[index]!];
    }
  }
  const host = options.host ?? '';
  let anyOpen = false;
  for (const [index, port] of ports.entries()) {
    if (index > 0 && options.lineInterval) await wait(options.lineInterval, io.signal);
    const tube = await connectInOrder(ctx, port);
    ctx.events.emit({ event: 'scan', host, port, state: tube ? 'open' : 'closed' });
    if (tube) {
      anyOpen = true;
      tube.destroy();
    }
  }
  return anyOpen;
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('interrupted', { op: 'connect' }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
