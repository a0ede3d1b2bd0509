export { formatHostPort, type HostPort, parseHostPort, unbracket } from './host-port.js';
export { ipFamily, isIPv4, isIPv6 } from './ip.js';
export { MAX_PORT, parsePort, validatePort } from './port.js';
export {
  type Family,
  interleaveFamilies,
  type LookupFunction,
  type ResolvedAddress,
  type ResolveOptions,
  resolveHost,
} from './resolve.js';
