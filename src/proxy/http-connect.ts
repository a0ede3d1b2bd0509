import type { Duplex } from 'node:stream';
import { ProxyError } from '../errors.js';
import { type AuthChallenge, parseChallenges } from './auth-challenge.js';
import { HttpHeadError, headerValues, parseResponseHead } from './http-head.js';
import { readReply } from './read-reply.js';

export type HttpConnectResult =
  | { kind: 'connected' }
  /** 407: the caller answers the challenge on a new connection (as ncat does). */
  | { kind: 'auth-required'; challenges: AuthChallenge[]; reply: string };

/**
 * Ask an HTTP proxy, over the connected `socket`, to open a tunnel to `destination`
 * (`host:port`, IPv6 in brackets). The request is ncat's: `CONNECT dest HTTP/1.0`, plus
 * `Proxy-Authorization` when given. The reply head is capped at 16 KiB; a 2xx opens the tunnel
 * and bytes after the head stay in the socket. The caller bounds the time.
 */
export async function httpConnect(
  socket: Duplex,
  proxyName: string,
  destination: string,
  authorization?: string,
): Promise<HttpConnectResult> {
  const auth = authorization === undefined ? '' : `Proxy-Authorization: ${authorization}\r\n`;
  socket.write(`CONNECT ${destination} HTTP/1.0\r\n${auth}\r\n`);
  const head = await readReply(
    socket,
    (received) => {
      try {
        const parsed = parseResponseHead(received);
        return parsed === undefined ? undefined : [parsed, parsed.headLength];
      } catch (error) {
        if (!(error instanceof HttpHeadError)) throw error;
        throw new ProxyError(
          `proxy ${proxyName} sent a bad reply to CONNECT ${destination}: ${error.message}`,
          proxyName,
          { cause: error },
        );
      }
    },
    (received) =>
      new ProxyError(
        received.length === 0
          ? `proxy ${proxyName} closed the connection without answering CONNECT ${destination}`
          : `proxy ${proxyName} closed the connection in the middle of its reply to CONNECT ${destination}`,
        proxyName,
      ),
  );
  const reply = `${head.statusCode}${head.reason ? ` ${head.reason}` : ''}`;
  if (head.statusCode >= 200 && head.statusCode < 300) return { kind: 'connected' };
  if (head.statusCode === 407) {
    return {
      kind: 'auth-required',
      challenges: parseChallenges(headerValues(head.headers, 'proxy-authenticate')),
      reply,
    };
  }
  socket.destroy();
  throw new ProxyError(
    `proxy ${proxyName} refused CONNECT to ${destination}: ${reply}`,
    proxyName,
    { reply },
  );
}
