import { formatHostPort } from '../../address/host-port.js';
import { ConnectionRefusedError, TimeoutError } from '../../errors.js';
import { connectUdp, type UdpConnectOptions } from '../../transports/udp.js';
import { monotonicMs } from '../clock.js';
import type { Context } from '../context.js';

/** How long a UDP probe waits for an answer or a refusal (ncat 7.93 waits about 2 s). */
export const UDP_PROBE_WINDOW_MS = 2000;

/** A UDP port that neither answered nor refused may be open or filtered: nothing tells them apart. */
export type UdpPortState = 'open' | 'closed' | 'open|filtered';

/**
 * `sockcat -z -u HOST PORTS`: send each port one datagram holding a zero byte (as ncat) and wait
 * up to 2 s (or -w, if shorter): a datagram back means open, an ICMP port unreachable closed,
 * silence open|filtered. One port: as ncat, exit 1 with the refusal when closed, else 0. A list:
 * open and open|filtered ports on stdout, closed ones on stderr with -v, a summary on stderr;
 * success when any port was not refused.
 */
export async function runUdpScan(ctx: Context): Promise<boolean> {
  const { options, io, log } = ctx;
  const host = options.host ?? '';
  const ports = options.scanPorts ?? [options.port];
  const windowMs = Math.min(options.connectTimeout, UDP_PROBE_WINDOW_MS);
  const connectOptions: UdpConnectOptions = {
    family: options.family,
    numericOnly: options.numericOnly,
    ...(options.sourceAddress !== undefined ? { localAddress: options.sourceAddress } : {}),
    // -p: one port is probed from this source port (the plan refuses -p with a port list).
    ...(options.sourcePort !== undefined ? { localPort: options.sourcePort } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  if (options.scanPorts === undefined) {
    const state = await probeUdp(host, options.port, connectOptions, windowMs, log);
    ctx.events.emit({ event: 'scan', host, port: options.port, state });
    return true;
  }
  const started = monotonicMs();
  const states = new Map<number, UdpPortState>();
  let next = 0;
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++]!;
      let state: UdpPortState;
      try {
        state = await probeUdp(host, port, connectOptions, windowMs);
      } catch (error) {
        if (!(error instanceof ConnectionRefusedError)) throw error;
        state = 'closed';
      }
      states.set(port, state);
      ctx.events.emit({ event: 'scan', host, port, state });
      if (state === 'closed') log.info(1, `${formatHostPort(host, port)} closed`);
      else io.stdout.write(`${formatHostPort(host, port)} ${state}\n`);
    }
  };
  const workers = Math.min(options.scanConcurrency, ports.length);
  await Promise.all(Array.from({ length: workers }, worker));
  const count = (state: UdpPortState) => [...states.values()].filter((s) => s === state).length;
  const durationMs = monotonicMs() - started;
  ctx.events.emit({
    event: 'scan-done',
    host,
    ports: ports.length,
    open: count('open'),
    closed: count('closed'),
    // No UDP port is known to be filtered; the silent ones are counted here.
    filtered: count('open|filtered'),
    durationMs: Math.round(durationMs),
  });
  log.error(
    `scanned ${ports.length} UDP port${ports.length === 1 ? '' : 's'} on ${host} in ${(durationMs / 1000).toFixed(2)} s: ${count('open')} open, ${count('closed')} closed, ${count('open|filtered')} open|filtered`,
  );
  return count('closed') < ports.length;
}

/** One probe; a refusal is thrown (ConnectionRefusedError) for the single-port form to report. */
async function probeUdp(
  host: string,
  port: number,
  options: UdpConnectOptions,
  windowMs: number,
  log?: Context['log'],
): Promise<UdpPortState> {
  const connection = await connectUdp({ host, port }, options);
  try {
    log?.info(1, `Connected to ${formatHostPort(connection.remote.address, port)}.`);
    await connection.send(Buffer.from([0]));
    let state: UdpPortState;
    try {
      state = (await connection.recv({ timeout: windowMs })) ? 'open' : 'open|filtered';
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      state = 'open|filtered';
    }
    // ncat's line, printed once no refusal came back.
    log?.info(1, 'UDP packet sent successfully');
    return state;
  } finally {
    await connection.close();
  }
}
