// Build a whole IPv4 packet by hand and send it through a raw socket with IP_HDRINCL: the
// course's "your own IPv4 header" exercise. The packet carries a UDP datagram, so any UDP
// listener (nc -u -l, sockcat -u -l) receives the message. Needs root or CAP_NET_RAW.
//
// node dist/examples/raw-ip.js --source 127.0.0.1 --destination 127.0.0.1 --port 9999 [--ttl 64] MESSAGE
import { parseArgs } from 'node:util';
import { encodeIpv4Header, encodeUdpDatagram, openRaw, SockcatError } from 'sockcat';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      source: { type: 'string', default: '127.0.0.1' },
      destination: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'source-port': { type: 'string', default: '40000' },
      ttl: { type: 'string', default: '64' },
    },
    allowPositionals: true,
  });
  const port = Number(values.port);
  const sourcePort = Number(values['source-port']);
  const ttl = Number(values.ttl);
  const [message] = positionals;
  const ports = [port, sourcePort].every((p) => Number.isInteger(p) && p > 0 && p < 65_536);
  if (message === undefined || !ports || !Number.isInteger(ttl) || ttl < 1 || ttl > 255) {
    console.error(
      'usage: raw-ip --port PORT [--source IP] [--destination IP] [--source-port PORT] [--ttl N] MESSAGE',
    );
    return 2;
  }
  const udp = encodeUdpDatagram({
    sourcePort,
    destinationPort: port,
    payload: Buffer.from(message),
    source: values.source,
    destination: values.destination,
  });
  const header = encodeIpv4Header({
    source: values.source,
    destination: values.destination,
    protocol: 17,
    payloadLength: udp.length,
    ttl,
    identification: process.pid & 0xffff,
    dontFragment: true,
  });
  const socket = await openRaw({ family: 4, protocol: 'raw', headerIncluded: true });
  try {
    await socket.send(Buffer.concat([header, udp]), {
      address: values.destination,
      port: 0,
      family: 4,
    });
  } finally {
    socket.close();
  }
  console.log(
    `sent ${header.length + udp.length} bytes: IPv4 ${values.source} -> ${values.destination} ttl ${ttl}, UDP ${sourcePort} -> ${port}, ${Buffer.byteLength(message)} bytes of data`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SockcatError ? error.message : String(error);
    console.error(`raw-ip: ${message}`);
    process.exitCode = 2;
  },
);
