import type {
  NativeAddon,
  NativeDtlsHandle,
  NativeDtlsInfo,
  NativeDtlsResult,
} from '../native/load.js';

/** What a DTLS session does with the results of OpenSSL's state machine. */
export interface DtlsSessionHandlers {
  /** Send this datagram to the peer (handshake flights, records, alerts). */
  transmit(datagram: Buffer): void;
  /** An application datagram arrived. */
  data(datagram: Buffer): void;
  /** The handshake finished. */
  established(): void;
  /** The peer sent close_notify. */
  peerClosed(): void;
  /** The session failed for good (OpenSSL's reason, and the X509 verify result). */
  failed(reason: string, verifyCode: number): void;
}

/**
 * One DTLS session (native/src/dtls.c) and its RFC 6347 retransmission timer: datagrams from the
 * peer go in through receive(), application data through write(); everything OpenSSL wants sent
 * comes out through the handlers, one datagram at a time. State changes are reported once each.
 */
export class DtlsSession {
  readonly #native: NativeAddon;
  readonly #handle: NativeDtlsHandle;
  readonly #handlers: DtlsSessionHandlers;
  #timer: NodeJS.Timeout | undefined;
  #state: NativeDtlsResult['state'] = 0;
  #disposed = false;

  constructor(native: NativeAddon, handle: NativeDtlsHandle, handlers: DtlsSessionHandlers) {
    this.#native = native;
    this.#handle = handle;
    this.#handlers = handlers;
  }

  /** True once the handshake has finished (and until the session fails). */
  get open(): boolean {
    return this.#state === 1 || this.#state === 2;
  }

  /** Hand in one datagram from the peer, or null to start (client) or go on (after listen). */
  receive(datagram: Buffer | null): void {
    if (this.#disposed) return;
    this.#apply(this.#native.dtlsReceive(this.#handle, datagram));
  }

  /** Send application data: one record, one datagram (split at the record size). */
  write(data: Uint8Array): void {
    if (this.#disposed) return;
    this.#apply(this.#native.dtlsWrite(this.#handle, data));
  }

  /** Send close_notify. */
  shutdown(): void {
    if (this.#disposed) return;
    this.#apply(this.#native.dtlsShutdown(this.#handle));
  }

  info(): NativeDtlsInfo {
    return this.#native.dtlsInfo(this.#handle);
  }

  /** Stop the timer and ignore everything from now on (the native session is freed by the GC). */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
  }

  /** Take over a result that the listener produced for this session (see DtlsAcceptor). */
  adopt(result: NativeDtlsResult): void {
    this.#apply(result);
  }

  #apply(result: NativeDtlsResult): void {
    for (const datagram of result.out) this.#handlers.transmit(datagram);
    const before = this.#state;
    if (result.state !== before && before !== 3) this.#state = result.state;
    if (before === 0 && (result.state === 1 || result.state === 2)) this.#handlers.established();
    for (const datagram of result.data) this.#handlers.data(datagram);
    if (before !== 2 && result.state === 2) this.#handlers.peerClosed();
    if (before !== 3 && result.state === 3) {
      clearTimeout(this.#timer);
      this.#handlers.failed(result.error ?? 'the DTLS session failed', result.verifyCode);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (result.timeoutMs >= 0 && !this.#disposed) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          if (!this.#disposed) this.#apply(this.#native.dtlsTimeout(this.#handle));
        },
        Math.max(result.timeoutMs, 1),
      );
      this.#timer.unref();
    }
  }
}
