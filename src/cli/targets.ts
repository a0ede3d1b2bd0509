/** The positional arguments: where to connect, listen, or which Unix socket path. Pure. */
import { unbracket } from '../address/host-port.js';
import { parsePort } from '../address/port.js';
import { ArgumentError } from '../errors.js';
import type { Options } from './options.js';
import { parsePortList } from './port-list.js';

export function assignListenTarget(
  options: Options,
  positionals: string[],
  portFlag: string | undefined,
) {
  if (positionals.length > 2) {
    throw new ArgumentError(`too many arguments: ${positionals.slice(2).join(' ')}`);
  }
  let [host, port] = positionals;
  if (port === undefined && host !== undefined && /^\d+$/.test(host)) {
    port = host;
    host = undefined;
  }
  if (port !== undefined && portFlag !== undefined && port !== portFlag) {
    throw new ArgumentError(`two listen ports given: -p ${portFlag} and ${port}`);
  }
  const chosen = port ?? portFlag;
  if (chosen !== undefined) options.port = parsePort(chosen);
  if (host !== undefined) options.host = unbracket(host);
}

export function assignConnectTarget(
  options: Options,
  positionals: string[],
  portFlag: string | undefined,
) {
  const [host, port, ...extra] = positionals;
  if (host === undefined) throw new ArgumentError('you must specify a host to connect to');
  if (extra.length > 0) throw new ArgumentError(`too many arguments: ${extra.join(' ')}`);
  options.host = unbracket(host);
  if (port !== undefined && options.zero && /[,-]/.test(port)) {
    options.scanPorts = parsePortList(port);
  } else if (port !== undefined) {
    options.port = parsePort(port);
  }
  if (portFlag !== undefined) options.sourcePort = parsePort(portFlag, 'source port');
}

/**
 * -U: the one positional argument is the socket path (`@name`: a Linux abstract socket). Ports,
 * source addresses, IP families and IP access lists have no meaning there: each is an error.
 */
export function assignUnixTarget(
  options: Options,
  positionals: string[],
  portFlag: string | undefined,
  values: Record<string, unknown>,
) {
  const [path, ...extra] = positionals;
  if (portFlag !== undefined) {
    throw new ArgumentError(`-p ${portFlag}: a Unix socket (-U) has no port`);
  }
  if (path === undefined) {
    throw new ArgumentError(
      `you must specify the path of a socket to ${options.listen ? 'listen on' : 'connect to'} (-U)`,
    );
  }
  if (extra.length > 0) {
    throw new ArgumentError(
      `too many arguments: ${extra.join(' ')} (with -U the only argument is the socket path)`,
    );
  }
  if (path === '' || path === '@') {
    throw new ArgumentError(`invalid Unix socket path ${JSON.stringify(path)}`);
  }
  if (options.seqpacket && (options.udp || options.zero)) {
    throw new ArgumentError(`--seqpacket cannot be used with ${options.udp ? '-u' : '-z'}`);
  }
  if (options.udp && options.zero) {
    throw new ArgumentError(
      '-z cannot be used with -U -u: a Unix datagram socket has no port to probe',
    );
  }
  const conflicts = [
    ['-4', values['ipv4']],
    ['-6', values['ipv6']],
  ].filter(([, value]) => value !== undefined);
  if (conflicts.length > 0) {
    throw new ArgumentError(
      `${conflicts.map(([flag]) => flag).join(' and ')} cannot be used with -U: a Unix socket has no IP address`,
    );
  }
  const { access } = options;
  if (
    access.allow.length +
    access.allowFiles.length +
    access.deny.length +
    access.denyFiles.length
  ) {
    throw new ArgumentError(
      '--allow and --deny filter IP addresses; Unix socket clients have none (use the permissions of the socket directory instead)',
    );
  }
  options.host = path;
}
