/**
 * OpenBSD netcat's words (Debian's nc.openbsd 1.219) for the lines scripts read: "Connection to
 * HOST PORT port [tcp/SERVICE] succeeded!", "connect to HOST port PORT (tcp) failed: REASON",
 * "Listening on ADDRESS PORT", "Connection received on HOST PORT".
 */
import { describeSystemError, ResolveError, type SockcatError } from '../errors.js';

/** Ends the run with `status` after the failure was already reported (or, as nc does, not). */
export class QuietExit extends Error {
  constructor(
    readonly status: number,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** `localhost (127.0.0.1)` when the name given is not the address, else the address. */
export function shownHost(host: string, address: string): string {
  return host === address ? host : `${host} (${address})`;
}

/** node:dns/promises, loaded only by a run that resolves names: run.js loads this file. */
async function lookupService(address: string, port: number) {
  const dns = await import('node:dns/promises');
  return dns.lookupService(address, port);
}

/** The /etc/services name of a TCP port, or `*` as nc prints when there is none or with -n. */
export async function serviceName(address: string, port: number, numeric: boolean) {
  if (numeric) return '*';
  try {
    const { service } = await lookupService(address, port);
    return /^\d+$/.test(service) ? '*' : service;
  } catch {
    return '*';
  }
}

/** The peer's name as nc prints it on accept: reverse-resolved unless -n. */
export async function peerHostName(address: string, port: number, numeric: boolean) {
  if (numeric) return address;
  try {
    return (await lookupService(address, port)).hostname;
  } catch {
    return address;
  }
}

export function succeededLine(host: string, address: string, port: number, service: string) {
  return `Connection to ${shownHost(host, address)} ${port} port [tcp/${service}] succeeded!`;
}

export function failedLine(host: string, address: string, port: number, error: unknown) {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const code = (cause as NodeJS.ErrnoException).code;
  const detail =
    code === undefined && (error as SockcatError).code === 'SOCKCAT_TIMEOUT'
      ? 'Connection timed out'
      : describeSystemError(cause);
  return `connect to ${shownHost(host, address)} port ${port} (tcp) failed: ${detail}`;
}

/** A failure's message in nc's words where nc's differ and scripts may read them. */
export function openbsdMessage(error: SockcatError, port: number): string {
  if (error instanceof ResolveError && error.cause !== undefined) {
    return `getaddrinfo for host ${JSON.stringify(error.address ?? '')} port ${port}: ${describeSystemError(error.cause)}`;
  }
  return error.message;
}

export function openbsdHelpText(version: string): string {
  return `sockcat ${version} as OpenBSD netcat (--dialect openbsd)
usage: nc [-46CdhklNnrtUuvz] [-i interval] [-p source_port] [-q seconds]
\t  [-s sourceaddr] [-T keyword] [-w timeout] [destination] [port]
\tCommand Summary:
\t\t-4\t\tUse IPv4
\t\t-6\t\tUse IPv6
\t\t-C\t\tSend CRLF as line-ending
\t\t-d\t\tDetach from stdin
\t\t-h\t\tThis help text
\t\t-i interval\tDelay interval for lines sent, ports scanned
\t\t-k\t\tKeep inbound sockets open for multiple connects
\t\t-l\t\tListen mode, for inbound connects
\t\t-N\t\tShutdown the network socket after EOF on stdin
\t\t-n\t\tSuppress name/port resolutions
\t\t-p port\t\tSpecify local port for remote connects
\t\t-q secs\t\tquit after EOF on stdin and delay of secs
\t\t-r\t\tRandomize remote ports
\t\t-s sourceaddr\tLocal source address
\t\t-T keyword\tTOS value
\t\t-v\t\tVerbose
\t\t-w timeout\tTimeout for connects and final net reads
\t\t-z\t\tZero-I/O mode [used for scanning]
\tPort numbers can be individual or ranges: lo-hi [inclusive]
\tNot supported: -b -D -F -I -M -m -O -P -S -V -W -Z; not yet: -t -U -u -X -x.
\tSee docs/cli.md, "OpenBSD netcat dialect".
`;
}
