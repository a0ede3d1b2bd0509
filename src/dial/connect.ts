/**
 * Dialing: a path composed over a transport, first the proxy chain, then TLS end to end, over a
 * TCP (or Unix stream) connect from transports/. The public `connect()`. Layers: dial/ is above
 * transports/, proxy/ and tls/; none of them imports it.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHostPort } from '../address/host-port.js';
import type { TlsInfo } from '../address/tls-info.js';
import type { ErrorContext } from '../errors.js';
import type { ProxyDns, ProxyHop } from '../proxy/proxy-spec.js';
import type { TlsClientOptions } from '../tls/options.js';
import {
  isUnixTarget,
  parseTarget,
  type TargetInput,
  unixSocketPath,
} from '../transports/target.js';
import {
  openTcpSocket,
  openUnixSocket,
  prepareSocket,
  type ConnectOptions as TcpConnectOptions,
  tcpRoute,
  tcpTube,
  unixTube,
} from '../transports/tcp-connect.js';
import type { Tube } from '../tube/tube.js';

export interface ConnectOptions extends TcpConnectOptions {
  /**
   * Tunnel through a proxy, or a chain of proxies (first hop first). `timeout` then bounds the
   * TCP connect to the first proxy. See docs/library.md ("Proxies").
   */
  proxy?: ProxyHop | readonly ProxyHop[];
  /** Where proxies resolve destination names: 'remote' (default, as ncat), 'local', 'both', 'none'. */
  proxyDns?: ProxyDns;
  /** Milliseconds each proxy gets to answer its handshake. Default: `timeout`, else 10000. */
  proxyTimeout?: number;
  /**
   * Speak TLS over the connection (`true`: defaults). The certificate and the host name are
   * verified unless `insecure: true`; `tube.tls` tells what was negotiated. Through proxies, TLS
   * runs end to end over the tunnel. See docs/library.md.
   */
  tls?: TlsClientOptions | true;
}

/**
 * Connect and return a Tube: TCP with happy eyeballs (transports/tcp-connect.ts), through the
 * proxy chain when `proxy` is given, then TLS when `tls` is. A Unix socket path takes TLS, not
 * proxies.
 */
export async function connect(target: TargetInput, options: ConnectOptions = {}): Promise<Tube> {
  if (isUnixTarget(target)) {
    const socket = await openUnixSocket(unixSocketPath(target), target.path, options);
    const context: ErrorContext = { op: 'connect', network: 'unix', address: target.path };
    const secured = options.tls
      ? await secure(socket, options, undefined, target.path, context)
      : undefined;
    return unixTube(socket, target.path, options, secured);
  }
  const { host, port } = parseTarget(target);
  const route = tcpRoute(host, options);
  const open = (toHost: string, toPort: number) => openTcpSocket(toHost, toPort, route, options);
  let socket: Socket;
  if (options.proxy === undefined) {
    socket = await open(host, port);
  } else {
    const { connectThroughProxies } = await import('../proxy/chain.js');
    const chain: readonly ProxyHop[] = Array.isArray(options.proxy)
      ? options.proxy
      : [options.proxy as ProxyHop];
    const handshakeTimeout = options.proxyTimeout ?? options.timeout;
    socket = await connectThroughProxies({ host, port }, chain, {
      connect: open,
      family: route.family,
      ...(options.proxyDns ? { dns: options.proxyDns } : {}),
      ...(handshakeTimeout !== undefined ? { handshakeTimeout } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  prepareSocket(socket, options);
  const secured = options.tls
    ? await secure(socket, options, host, formatHostPort(host, port), {
        op: 'connect',
        network: 'tcp',
        address: host,
        port,
      })
    : undefined;
  return tcpTube(socket, options, secured);
}

/** The TLS handshake over a connected socket; node:tls is loaded only when asked for. */
async function secure(
  socket: Socket,
  options: ConnectOptions,
  host: string | undefined,
  name: string,
  context: ErrorContext,
): Promise<{ stream: Duplex; tls: TlsInfo }> {
  // Until the TLS socket owns it (after an import that may take a turn), a reset must not go
  // unheard: upgradeClient() then fails at once on the closed socket.
  socket.on('error', () => {});
  const { upgradeClient } = await import('../tls/client.js');
  const tls = options.tls === true ? {} : (options.tls ?? {});
  const upgraded = await upgradeClient(socket, {
    ...tls,
    ...(host !== undefined ? { host } : {}),
    peerName: name,
    ...(options.signal ? { signal: options.signal } : {}),
    context,
  });
  return { stream: upgraded.socket, tls: upgraded.info };
}
