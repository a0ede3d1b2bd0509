export { formatHostPort, type HostPort, parseHostPort, unbracket } from './host-port.js';
export {
  formatHostSpec,
  HostFilter,
  type HostFilterOptions,
  type HostSpec,
  type IPv4HostSpec,
  type IPv6HostSpec,
  matchesHostSpec,
  type NameHostSpec,
  type OctetRange,
  type OctetSet,
  parseHostFile,
  parseHostSpec,
  parseHostSpecList,
  resolveHostSpecs,
} from './host-spec.js';
export { ipFamily, isIPv4, isIPv6 } from './ip.js';
export { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from './ip-bytes.js';
export { MAX_PORT, parsePort, validatePort } from './port.js';
export { MAX_QUOTED_INPUT, quoteInput } from './quote.js';
export {
  type Family,
  interleaveFamilies,
  type ListenAddress,
  type LookupFunction,
  type ResolvedAddress,
  type ResolveOptions,
  resolveHost,
  resolveListenAddress,
} from './resolve.js';
export { checkUnixPath, MAX_UNIX_PATH_BYTES } from './unix-path.js';
