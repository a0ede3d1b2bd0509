import { isIPv4, isIPv6 } from '../address/ip.js';
import { ProxyProtocolError } from '../errors.js';
import { type ParseResult, type ProxyHeader, V1_MAX_LENGTH } from './header.js';

const PREFIX = Buffer.from('PROXY ');
const PORT = /^(0|[1-9]\d{0,4})$/;

/** Parse a v1 (text) header at the start of `input`. Pure; throws ProxyProtocolError. */
export function parseV1(input: Buffer): ParseResult {
  const prefixLength = Math.min(input.length, PREFIX.length);
  if (!input.subarray(0, prefixLength).equals(PREFIX.subarray(0, prefixLength))) {
    throw new ProxyProtocolError('not a PROXY protocol v1 header (expected "PROXY ")');
  }
  const end = input.subarray(0, V1_MAX_LENGTH).indexOf('\r\n');
  if (end === -1) {
    if (input.length >= V1_MAX_LENGTH) {
      throw new ProxyProtocolError(`PROXY v1 header longer than ${V1_MAX_LENGTH} bytes`);
    }
    return { status: 'incomplete' };
  }
  const line = input.subarray(0, end).toString('latin1');
  const fields = line.split(' ');
  const protocol = fields[1];
  const consumed = end + 2;
  if (protocol === 'UNKNOWN') {
    return {
      status: 'done',
      consumed,
      header: { version: 1, command: 'proxy', protocol: 'unknown', tlvs: [] },
    };
  }
  if (protocol !== 'TCP4' && protocol !== 'TCP6') {
    throw new ProxyProtocolError(
      `PROXY v1 header has unknown protocol ${JSON.stringify(protocol ?? '')}`,
    );
  }
  if (fields.length !== 6) {
    throw new ProxyProtocolError(`PROXY v1 header has ${fields.length} fields, expected 6`);
  }
  const [, , source, destination, sourcePort, destinationPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const valid =
    protocol === 'TCP4' ? isIPv4 : (text: string) => isIPv6(text) && !text.includes('%');
  for (const address of [source, destination]) {
    if (!valid(address)) {
      throw new ProxyProtocolError(
        `PROXY v1 header has an invalid ${protocol} address ${JSON.stringify(address)}`,
      );
    }
  }
  for (const port of [sourcePort, destinationPort]) {
    if (!PORT.test(port) || Number(port) > 65535) {
      throw new ProxyProtocolError(`PROXY v1 header has an invalid port ${JSON.stringify(port)}`);
    }
  }
  const header: ProxyHeader = {
    version: 1,
    command: 'proxy',
    protocol: protocol === 'TCP4' ? 'tcp4' : 'tcp6',
    source: { address: source, port: Number(sourcePort) },
    destination: { address: destination, port: Number(destinationPort) },
    tlvs: [],
  };
  return { status: 'done', consumed, header };
}

/** Encode a v1 header. Only TCP over IPv4/IPv6 can be expressed; anything else is UNKNOWN. */
export function encodeV1(header: Pick<ProxyHeader, 'protocol' | 'source' | 'destination'>): Buffer {
  const { protocol, source, destination } = header;
  if ((protocol === 'tcp4' || protocol === 'tcp6') && source && destination) {
    const name = protocol === 'tcp4' ? 'TCP4' : 'TCP6';
    return Buffer.from(
      `PROXY ${name} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`,
      'latin1',
    );
  }
  return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
}
