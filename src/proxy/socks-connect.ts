import type { Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import type { ProxyHop } from './proxy-spec.js';

/** SOCKS5 reply codes (RFC 1928 section 6), as the socks package names them. */
const SOCKS5_REPLIES: Readonly<Record<string, [number, string]>> = {
  Failure: [0x01, 'general failure'],
  NotAllowed: [0x02, 'not allowed by ruleset'],
  NetworkUnreachable: [0x03, 'network unreachable'],
  HostUnreachable: [0x04, 'host unreachable'],
  ConnectionRefused: [0x05, 'connection refused'],
  TTLExpired: [0x06, 'TTL expired'],
  CommandNotSupported: [0x07, 'command not supported'],
  AddressNotSupported: [0x08, 'address type not supported'],
};

/** SOCKS4 reply codes. */
const SOCKS4_REPLIES: Readonly<Record<string, [number, string]>> = {
  Failed: [0x5b, 'request rejected or failed'],
  Rejected: [0x5c, 'rejected: no identd on the client'],
  RejectedIdent: [0x5d, 'rejected: identd user id mismatch'],
};

/**
 * Ask a SOCKS4/4a/5 proxy, over the already connected `socket`, to connect to `host:port`
 * (the socks package does the wire work). SOCKS4 carries a host name as 4a; SOCKS5 offers
 * username/password only when `proxy.auth` is set. Errors are ProxyErrors naming the proxy and
 * its reply. `timeoutMs` is a backstop; the caller enforces its own deadline first.
 */
export async function socksConnect(
  socket: Socket,
  proxy: ProxyHop,
  proxyName: string,
  host: string,
  port: number,
  destination: string,
  timeoutMs: number,
): Promise<void> {
  const { SocksClient } = await import('socks');
  const auth = proxy.auth;
  try {
    const established = SocksClient.createConnection({
      command: 'connect',
      destination: { host, port },
      proxy: {
        host: proxy.host,
        port: proxy.port,
        type: proxy.type === 'socks4' ? 4 : 5,
        ...(auth ? { userId: auth.username, password: auth.password } : {}),
      },
      existing_socket: socket,
      timeout: timeoutMs,
    });
    // A socket an earlier hop left paused (its reply read, the rest pushed back) flows again,
    // into the client's own listener, which is attached by now.
    socket.resume();
    await established;
    await keepExcess(socket);
  } catch (error) {
    socket.destroy();
    throw translate(error, proxy, proxyName, destination);
  }
}

/**
 * The socks client re-emits bytes that came in with its last reply (the destination's first
 * bytes) as a 'data' event one turn later (setImmediate), then resumes the socket: whoever takes
 * the socket next (a tube, or a native copy reading the descriptor) has no listener yet and
 * would lose them. Catch that event and hand the socket back paused with those bytes pushed
 * back, as readReply() does for the HTTP proxies; our setImmediate runs after the client's.
 */
function keepExcess(socket: Socket): Promise<void> {
  const held: Buffer[] = [];
  const collect = (chunk: Buffer) => held.push(chunk);
  socket.on('data', collect);
  return new Promise<void>((resolve) => {
    setImmediate(() => {
      socket.off('data', collect);
      socket.pause();
      if (held.length > 0) socket.unshift(Buffer.concat(held));
      resolve();
    });
  });
}

function translate(error: unknown, proxy: ProxyHop, proxyName: string, destination: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const [what, detail] = message.split(' - ');
  const table = proxy.type === 'socks4' ? SOCKS4_REPLIES : SOCKS5_REPLIES;
  const known = detail === undefined ? undefined : table[detail.replace(/[()]/g, '').trim()];
  const version = proxy.type === 'socks4' ? 'SOCKS4' : 'SOCKS5';
  if (known) {
    const reply = `${version} reply 0x${known[0].toString(16).padStart(2, '0')} (${known[1]})`;
    return new ProxyError(
      `proxy ${proxyName} refused CONNECT to ${destination}: ${reply}`,
      proxyName,
      { reply, cause: error },
    );
  }
  if (/Authentication failed/i.test(message)) {
    return new ProxyError(
      `proxy ${proxyName} refused the username/password (SOCKS5 authentication failed)`,
      proxyName,
      { reply: 'authentication failed', cause: error },
    );
  }
  if (/no accepted authentication type/i.test(message)) {
    return new ProxyError(
      `proxy ${proxyName} accepts none of the offered SOCKS5 methods (${proxy.auth ? 'no-auth, username/password' : 'no-auth; it may need --proxy-auth'})`,
      proxyName,
      { reply: 'no acceptable methods', cause: error },
    );
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || /\bECONNRESET\b/.test(message)) {
    // A proxy that refuses a client beyond its limit may reset it: said in words, not "read ECONNRESET".
    return new ProxyError(
      `proxy ${proxyName} reset the connection during the ${version} handshake for ${destination}`,
      proxyName,
      { cause: error },
    );
  }
  if (/Socket closed/i.test(message)) {
    return new ProxyError(
      `proxy ${proxyName} closed the connection during the ${version} handshake for ${destination}`,
      proxyName,
      { cause: error },
    );
  }
  return new ProxyError(
    `proxy ${proxyName} failed the ${version} handshake for ${destination}: ${what ?? message}`,
    proxyName,
    { cause: error },
  );
}
