import { ProxyProtocolError } from '../errors.js';
import { type ParseResult, V2_SIGNATURE } from './header.js';
import { encodeV1, parseV1 } from './v1.js';
import { encodeV2, parseV2, V2_DEFAULT_MAX_LENGTH } from './v2.js';

export type {
  ParseResult,
  ProxyAddress,
  ProxyHeader,
  ProxyTlv,
  ProxyTransport,
} from './header.js';
export { encodeV1, encodeV2, parseV1, parseV2, V2_DEFAULT_MAX_LENGTH };

/**
 * Parse a PROXY header of either version at the start of `input`, telling them apart by the first
 * byte ("P" for v1, "\r" for v2). Returns 'incomplete' until enough bytes are there; the caller
 * caps how long it waits. Pure; throws only ProxyProtocolError.
 */
export function parseProxyHeader(input: Buffer, maxLength = V2_DEFAULT_MAX_LENGTH): ParseResult {
  if (input.length === 0) return { status: 'incomplete' };
  if (input[0] === 0x50) return parseV1(input);
  if (input[0] === V2_SIGNATURE[0]) return parseV2(input, maxLength);
  throw new ProxyProtocolError('connection did not start with a PROXY protocol header');
}
