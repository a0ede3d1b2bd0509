// ping over a raw ICMP socket: echo requests with checksum, identifier and sequence, replies
// matched by both, round-trip times, and the summary iputils' ping prints. Needs root or
// CAP_NET_RAW, and sockcat's native addon.
//
// node dist/examples/ping.js [-c COUNT] [-i SECONDS] [-W SECONDS] [-s SIZE] HOST
import { lookup } from 'node:dns/promises';
import { parseArgs } from 'node:util';
import {
  decodeIcmpEcho,
  decodeIpv4Header,
  encodeIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  type MessageSocket,
  openRaw,
  SockcatError,
} from 'sockcat';

interface Settings {
  count: number;
  intervalMs: number;
  waitMs: number;
  size: number;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      count: { type: 'string', short: 'c', default: '4' },
      interval: { type: 'string', short: 'i', default: '1' },
      wait: { type: 'string', short: 'W', default: '1' },
      size: { type: 'string', short: 's', default: '56' },
    },
    allowPositionals: true,
  });
  const [host] = positionals;
  const settings: Settings = {
    count: Number(values.count),
    intervalMs: Number(values.interval) * 1000,
    waitMs: Number(values.wait) * 1000,
    size: Number(values.size),
  };
  const valid =
    Number.isInteger(settings.count) &&
    settings.count > 0 &&
    settings.intervalMs >= 0 &&
    settings.waitMs > 0 &&
    Number.isInteger(settings.size) &&
    settings.size >= 8 &&
    settings.size <= 65_000;
  if (host === undefined || positionals.length > 1 || !valid) {
    console.error('usage: ping [-c COUNT] [-i SECONDS] [-W SECONDS] [-s SIZE (8-65000)] HOST');
    return 2;
  }
  const { address } = await lookup(host, { family: 4 });
  const socket = await openRaw({ family: 4, protocol: 'icmp' });
  try {
    return await ping(socket, host, address, settings);
  } finally {
    socket.close();
  }
}

async function ping(socket: MessageSocket, host: string, address: string, settings: Settings) {
  // The identifier tells our replies from other pings' (every raw ICMP socket sees them all).
  const identifier = process.pid & 0xffff;
  console.log(`PING ${host} (${address}) ${settings.size}(${settings.size + 28}) bytes of data.`);
  const started = performance.now();
  const rtts: number[] = [];
  for (let sequence = 1; sequence <= settings.count; sequence++) {
    const sentAt = performance.now();
    // The payload starts with the send time, as ping's does, then a byte pattern.
    const payload = Buffer.alloc(settings.size, 0x61);
    payload.writeDoubleBE(sentAt, 0);
    await socket.send(
      encodeIcmpEcho({ type: ICMP_ECHO_REQUEST, code: 0, identifier, sequence, payload }),
      { address, port: 0, family: 4 },
    );
    const reply = await awaitReply(socket, identifier, sequence, sentAt + settings.waitMs);
    if (reply) {
      const rtt = reply.at - sentAt;
      rtts.push(rtt);
      console.log(
        `${reply.bytes} bytes from ${reply.from}: icmp_seq=${sequence} ttl=${reply.ttl} time=${formatMs(rtt)} ms`,
      );
    }
    if (sequence < settings.count) {
      const next = sentAt + settings.intervalMs - performance.now();
      if (next > 0) await new Promise((resolve) => setTimeout(resolve, next));
    }
  }
  const elapsed = Math.round(performance.now() - started);
  const lost = settings.count - rtts.length;
  console.log(`\n--- ${host} ping statistics ---`);
  console.log(
    `${settings.count} packets transmitted, ${rtts.length} received, ${Math.round((lost * 100) / settings.count)}% packet loss, time ${elapsed}ms`,
  );
  if (rtts.length > 0) {
    const mean = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    const mdev = Math.sqrt(rtts.reduce((a, b) => a + (b - mean) ** 2, 0) / rtts.length);
    const stats = [Math.min(...rtts), mean, Math.max(...rtts), mdev].map(formatMs).join('/');
    console.log(`rtt min/avg/max/mdev = ${stats} ms`);
  }
  return rtts.length > 0 ? 0 : 1;
}

/** The echo reply with our identifier and this sequence, or undefined at the deadline. */
async function awaitReply(
  socket: MessageSocket,
  identifier: number,
  sequence: number,
  deadline: number,
) {
  for (;;) {
    const timeout = deadline - performance.now();
    if (timeout <= 0) return undefined;
    let packet: Buffer;
    try {
      packet = (await socket.receive({ timeout })).data;
    } catch (error) {
      if (error instanceof SockcatError && error.code === 'SOCKCAT_TIMEOUT') return undefined;
      throw error;
    }
    const at = performance.now();
    // An IPv4 raw socket receives the IP header too.
    const ip = decodeIpv4Header(packet);
    if (!ip) continue;
    const echo = decodeIcmpEcho(packet.subarray(ip.headerLength));
    if (!echo || echo.type !== ICMP_ECHO_REPLY || !echo.checksumOk) continue;
    if (echo.identifier !== identifier || echo.sequence !== sequence) continue;
    return { at, from: ip.source, ttl: ip.ttl, bytes: packet.length - ip.headerLength };
  }
}

function formatMs(ms: number): string {
  return ms < 1
    ? ms.toFixed(3)
    : ms < 10
      ? ms.toFixed(2)
      : ms < 100
        ? ms.toFixed(1)
        : ms.toFixed(0);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SockcatError ? error.message : String(error);
    console.error(`ping: ${message}`);
    process.exitCode = 2;
  },
);
