import type { TLSSocket } from 'node:tls';
import { AbortError, type ErrorContext, TimeoutError, TlsError } from '../errors.js';

export interface SettleOptions {
  timeout: number;
  signal: AbortSignal | undefined;
  peer: string;
  context: ErrorContext;
}

/**
 * Wait for a TLS socket's handshake event ('secureConnect' or 'secure'), bounded by a timeout and
 * a signal. On failure the socket is destroyed and the error says what happened.
 */
export function settleHandshake(
  socket: TLSSocket,
  event: 'secureConnect' | 'secure',
  options: SettleOptions,
): Promise<void> {
  const { timeout, signal, peer, context } = options;
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off(event, onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onClose);
    };
    const fail = (error: Error) => {
      cleanup();
      // Until the tube takes it over, a late error on the dead socket must not crash anything.
      socket.on('error', () => {});
      socket.destroy();
      reject(error);
    };
    const onSecure = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => fail(handshakeFailure(error, peer, context));
    const onClose = () => fail(closedDuringHandshake(peer, context));
    const onAbort = () => fail(new AbortError(`TLS handshake with ${peer} aborted`, context));
    if (Number.isFinite(timeout)) {
      timer = setTimeout(
        () =>
          fail(
            new TimeoutError(
              `TLS handshake with ${peer} timed out after ${timeout}ms`,
              timeout,
              context,
            ),
          ),
        timeout,
      );
      timer.unref();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(event, onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
    // With allowHalfOpen the peer's FIN gives 'end' and no 'close': the handshake cannot finish.
    socket.once('end', onClose);
  });
}

/** The peer went away (FIN or close) before the handshake finished. */
export function closedDuringHandshake(peer: string, context: ErrorContext): TlsError {
  return new TlsError(
    `TLS handshake with ${peer} failed: the connection closed during the handshake`,
    'handshake',
    context,
  );
}

/** A handshake error from OpenSSL or the socket as one readable line. */
export function handshakeFailure(error: Error, peer: string, context: ErrorContext): TlsError {
  const code = (error as { code?: string }).code ?? '';
  let text = error.message;
  const alert = /alert (?:number \d+|[a-z ]+)/i.exec(error.message)?.[0];
  const reason = (error as { reason?: string }).reason;
  if (code === 'ECONNRESET') text = 'the peer reset the connection';
  else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(text))
    text = 'the peer does not speak TLS (wrong version number)';
  else if (/packet length too long|http request/i.test(text)) text = 'the peer does not speak TLS';
  else if (alert) text = `the peer sent ${alert.toLowerCase().replace(/^alert /, 'alert: ')}`;
  else if (reason) text = reason;
  return new TlsError(`TLS handshake with ${peer} failed: ${text}`, 'handshake', {
    ...context,
    cause: error,
  });
}
