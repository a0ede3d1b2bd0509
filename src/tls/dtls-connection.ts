import type { Endpoint } from '../address/endpoint.js';
import { AbortError, ClosedError, type ErrorContext, TimeoutError, TlsError } from '../errors.js';
import type { NativeAddon, NativeDtlsHandle } from '../native/load.js';
import { DatagramInbox } from '../tube/datagram-inbox.js';
import { DtlsSession } from './dtls-session.js';
import type { TlsInfo } from './options.js';

/** How a DTLS connection reaches its peer: a connected UDP socket, or a server's shared one. */
export interface DatagramLink {
  /** Send one datagram to the peer. */
  send(datagram: Buffer): Promise<void>;
  /** Done with this peer: close the client's socket, or forget the peer on a server's. */
  close(): Promise<void>;
}

export interface DtlsConnectionOptions {
  local: Endpoint;
  remote: Endpoint;
  /** Datagrams kept for a reader that has not asked yet (default 1024); beyond, dropped. */
  receiveQueue?: number;
}

export interface DtlsRecvOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * A DTLS session with one peer over UDP, with UDP's shape: one send() is one datagram (one DTLS
 * record), one receive is one. Both ends use it: connectUdp(target, { tls }) and a DTLS server's
 * sessions (DtlsAcceptor). close() sends close_notify first; the peer's close_notify ends
 * receiving (recv() resolves undefined), as the end of a stream would.
 */
export class DtlsConnection implements AsyncIterable<Buffer> {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly network = 'udp' as const;
  /** What the handshake negotiated; set once it is done. */
  tls: TlsInfo | undefined;

  readonly #session: DtlsSession;
  readonly #link: DatagramLink;
  readonly #inbox: DatagramInbox;
  #error: Error | undefined;
  #sendShut = false;
  #closing: Promise<void> | undefined;
  #bytesSent = 0;
  #maxData = 0;
  #onEstablished: (() => void) | undefined;
  #onFailed: ((reason: string, error?: Error) => void) | undefined;
  #established = false;
  #failure: { reason: string; verifyCode: number } | undefined;

  /** @internal Use connectUdp(target, { tls }) or a DTLS server. */
  constructor(
    native: NativeAddon,
    handle: NativeDtlsHandle,
    link: DatagramLink,
    options: DtlsConnectionOptions,
  ) {
    this.local = options.local;
    this.remote = options.remote;
    this.#link = link;
    this.#inbox = new DatagramInbox(options.receiveQueue);
    this.#session = new DtlsSession(native, handle, {
      transmit: (datagram) => {
        link.send(datagram).catch((error: unknown) => this.fail(error as Error));
      },
      data: (datagram) => this.#inbox.deliver(datagram),
      established: () => {
        this.#established = true;
        this.#maxData = this.#session.info().maxData;
        this.#onEstablished?.();
      },
      peerClosed: () => {
        this.#inbox.end();
      },
      failed: (reason, verifyCode) => {
        this.#failure = { reason, verifyCode };
        if (this.#established) {
          this.fail(
            new TlsError(`DTLS session with ${this.peerName} failed: ${reason}`, 'handshake'),
          );
        } else this.#onFailed?.(reason);
      },
    });
  }

  /** `host:port` of the peer. */
  get peerName(): string {
    const { address, port } = this.remote;
    return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  }

  /** Largest datagram send() takes as one record; longer ones are split into several. */
  get maxDatagram(): number {
    return this.#maxData > 0 ? this.#maxData : 1024;
  }

  get bytesSent(): number {
    return this.#bytesSent;
  }

  get bytesReceived(): number {
    return this.#inbox.bytesReceived;
  }

  /** Datagrams dropped because the receive queue was full. */
  get dropped(): number {
    return this.#inbox.dropped;
  }

  /** @internal The session's own view of the handshake (peer certificate, verify result). */
  get session(): DtlsSession {
    return this.#session;
  }

  /** @internal One datagram from the peer, as it arrived. */
  receiveRaw(datagram: Buffer | null): void {
    this.#session.receive(datagram);
  }

  /**
   * @internal Wait for the handshake (started by the first receiveRaw). Rejects with TlsError
   * when it fails, TimeoutError after `timeoutMs`, AbortError on `signal`.
   */
  handshake(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    context: ErrorContext,
  ): Promise<void> {
    if (this.#established) return Promise.resolve();
    const peer = this.peerName;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (error?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#onEstablished = undefined;
        this.#onFailed = undefined;
        if (error) {
          this.#session.dispose();
          reject(error);
        } else resolve();
      };
      const onAbort = () => settle(new AbortError(`DTLS handshake with ${peer} aborted`, context));
      const failed = (reason: string, error?: Error) =>
        settle(
          error ??
            new TlsError(`DTLS handshake with ${peer} failed: ${reason}`, 'handshake', context),
        );
      if (this.#failure) return failed(this.#failure.reason);
      if (this.#error) return settle(this.#error);
      this.#onEstablished = () => settle();
      this.#onFailed = failed;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () =>
            settle(
              new TimeoutError(
                `DTLS handshake with ${peer} timed out after ${timeoutMs}ms (no DTLS answer)`,
                timeoutMs,
                context,
              ),
            ),
          timeoutMs,
        );
      }
    });
  }

  /**
   * Send one datagram (a record). Rejects with ClosedError after shutdownSend()/close(), or with
   * the error that ended the connection.
   */
  send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#sendShut || this.#closing) {
      return Promise.reject(
        new ClosedError(`send to ${this.peerName}: the DTLS session was closed for sending`, {
          op: 'write',
          network: 'udp',
          address: this.remote.address,
          port: this.remote.port,
        }),
      );
    }
    this.#session.write(bytes);
    if (this.#error) return Promise.reject(this.#error);
    this.#bytesSent += bytes.length;
    return Promise.resolve();
  }

  /**
   * Receive one datagram. Resolves undefined after the peer's close_notify or close().
   * Cancel safety: on timeout or abort nothing is consumed.
   */
  recv(options: DtlsRecvOptions = {}): Promise<Buffer | undefined> {
    return this.#inbox.receive({
      signal: options.signal,
      timeout: options.timeout,
      aborted: () => new AbortError(`receive from ${this.peerName} aborted`, { op: 'read' }),
      timedOut: (ms) =>
        new TimeoutError(`receive from ${this.peerName} timed out after ${ms}ms`, ms, {
          op: 'read',
        }),
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const datagram = await this.recv();
      if (datagram === undefined) return;
      yield datagram;
    }
  }

  /** Send close_notify now and nothing after it; receiving goes on until the peer's. */
  shutdownSend(): Promise<void> {
    if (!this.#sendShut && !this.#error && this.#session.open) this.#session.shutdown();
    this.#sendShut = true;
    return Promise.resolve();
  }

  /** close_notify (unless sent), then release the peer; pending receives resolve undefined. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#sendShut && !this.#error && this.#session.open) this.#session.shutdown();
      this.#sendShut = true;
      this.#session.dispose();
      this.#inbox.end();
      await this.#link.close();
    })();
    return this.#closing;
  }

  /** @internal The transport failed (an ICMP refusal, a socket error): the connection ends. */
  fail(error: Error): void {
    if (this.#error || this.#closing) return;
    this.#error = error;
    this.#session.dispose();
    this.#onFailed?.(error.message, error);
    this.#inbox.fail(error);
  }
}
