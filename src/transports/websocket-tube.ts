import type { WebSocket } from 'ws';
import { ArgumentError, ClosedError, type ErrorContext, TimeoutError } from '../errors.js';
import { type RecvOptions, Tube, type TubeOptions } from '../tube/tube.js';
import { type WebSocketClose, webSocketStream } from './websocket-stream.js';

/** Default largest message accepted (bytes): a bigger one closes the connection with 1009. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Milliseconds the HTTP upgrade may take once the connection (and TLS) is up. */
export const DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT = 10_000;

/** What both ends of a WebSocket accept. */
export interface WebSocketOptions {
  /**
   * Largest message accepted, in bytes (default 16 MiB). A bigger one closes the connection with
   * code 1009 and fails pending receives with a WebSocketError; ws never buffers more.
   */
  maxMessageSize?: number;
  /**
   * Send a ping every this many milliseconds; when a pong has not come back by the next one,
   * the connection is closed with 1011 and receives fail. Default: no pings (pongs to the peer's
   * pings are always sent).
   */
  pingInterval?: number;
  /** Stream-mode send() writes text messages instead of binary ones. Default false. */
  text?: boolean;
  /**
   * Line framing (websocat's line mode): send() cuts its bytes at each "\n" and sends every line,
   * without its "\n" (or "\r\n"), as one text message; a last line without "\n" goes out at
   * shutdown. Each message received reads as its bytes followed by "\n". Default false.
   */
  lines?: boolean;
  /**
   * Remember where each message ends, for recvMessage() (default true). Stream-only users may
   * turn it off: recvMessage() then returns whatever is buffered as one message.
   */
  messageBoundaries?: boolean;
  /** Options of the tube (timeouts, buffer size, close grace period). */
  tube?: TubeOptions;
}

/** One message as received. */
export interface WebSocketMessage {
  data: Buffer;
  /** True for a text message (its data is UTF-8, validated), false for binary. */
  text: boolean;
}

interface Boundary {
  start: number;
  end: number;
  text: boolean;
}

/** @internal What wrapWebSocket() needs besides the socket. */
export interface WebSocketTubeInit extends WebSocketOptions {
  url: string;
  context: ErrorContext;
  peerName: string;
}

/**
 * A Tube over a WebSocket. Stream mode is the Tube's own calls (`send`, `recv`, `recvLine`, ...)
 * over the bytes of every message in order, each send() going out as one message. Message mode
 * is `recvMessage()`, which returns exactly one message, and `sendMessage()`, which picks text or
 * binary per message. End of file is the peer's Close frame; `closeInfo` tells its code and
 * reason, and `whenClosed()` waits for it.
 */
export class WebSocketTube extends Tube {
  /** The URL connected to (client) or requested (server: path and query, as sent). */
  readonly url: string;
  /** The subprotocol agreed on ('' when none). */
  readonly protocol: string;
  #socket: WebSocket;
  #kinds: WeakMap<Buffer, 'text' | 'binary'>;
  #boundaries: Boundary[] | undefined;
  #received = 0;
  #close: WebSocketClose | undefined;
  #whenClosed: Promise<WebSocketClose>;
  #context: ErrorContext;
  #closing: { local: boolean };

  /** @internal Use connectWebSocket(), listenWebSocket() or wrapWebSocket(). */
  constructor(socket: WebSocket, init: WebSocketTubeInit, tubeOptions: TubeOptions) {
    const kinds = new WeakMap<Buffer, 'text' | 'binary'>();
    const closing = { local: false };
    let resolveClosed: (close: WebSocketClose) => void = () => {};
    const whenClosed = new Promise<WebSocketClose>((resolve) => {
      resolveClosed = resolve;
    });
    const stream = webSocketStream(socket, {
      kinds,
      closing,
      defaultText: init.text ?? false,
      lines: init.lines ?? false,
      onMessage: (length, text) => this.#onMessage(length, text),
      onClose: (close) => {
        this.#close = close;
        resolveClosed(close);
      },
      ...(init.pingInterval !== undefined ? { pingInterval: init.pingInterval } : {}),
      maxMessageSize: init.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      peerName: init.peerName,
      context: init.context,
    });
    super(stream, tubeOptions);
    this.url = init.url;
    this.protocol = socket.protocol;
    this.#socket = socket;
    this.#kinds = kinds;
    this.#boundaries = init.messageBoundaries === false ? undefined : [];
    this.#whenClosed = whenClosed;
    this.#context = init.context;
    this.#closing = closing;
  }

  /** How the connection ended, once it has: the close code and reason, and who closed first. */
  get closeInfo(): WebSocketClose | undefined {
    return this.#close;
  }

  /** Resolves when the WebSocket has closed (normally or not) with how it ended. */
  whenClosed(): Promise<WebSocketClose> {
    return this.#whenClosed;
  }

  /**
   * Receive exactly one message (what is left of it, when stream calls took its start). Bytes
   * put back with unrecv() count as the start of the next message. Throws EOFError after the
   * peer's Close.
   * Cancel safety: safe; on timeout or abort no message was consumed.
   */
  recvMessage(options: RecvOptions = {}): Promise<WebSocketMessage> {
    return this.receiveWith<WebSocketMessage>('recvMessage', options, (buffer, eof, done) => {
      const boundary = this.#nextBoundary();
      if (boundary === undefined) {
        if (buffer.length > 0 && (eof || this.#boundaries === undefined)) {
          return done({ data: buffer.consume(buffer.length), text: false });
        }
        if (eof) return done(this.endOfFileError('recvMessage'));
        return false;
      }
      const length = boundary.end - this.#consumed();
      if (buffer.length < length) return false;
      this.#boundaries!.shift();
      return done({ data: buffer.consume(length), text: boundary.text });
    });
  }

  /**
   * Send one message, text or binary (default: binary for bytes, text for a string). Resolves as
   * send() does, with backpressure.
   */
  sendMessage(data: string | Uint8Array, options: { text?: boolean } = {}): Promise<void> {
    const text = options.text ?? typeof data === 'string';
    const buffer =
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#kinds.set(buffer, text ? 'text' : 'binary');
    return this.send(buffer);
  }

  /**
   * Send a ping and resolve with the round trip in milliseconds when its pong comes back.
   * Rejects with a TimeoutError after `timeout` ms (default: the tube's timeout, else 10000).
   */
  ping(options: { timeout?: number } = {}): Promise<number> {
    const socket = this.#socket;
    if (socket.readyState !== socket.OPEN) {
      return Promise.reject(
        new ClosedError(`ping ${this.peerName}: the WebSocket is closed`, {
          ...this.#context,
          op: 'write',
        }),
      );
    }
    const timeout = options.timeout ?? (Number.isFinite(this.timeout) ? this.timeout : 10_000);
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('pong', onPong);
        socket.off('close', onClose);
      };
      const onPong = () => {
        cleanup();
        resolve(performance.now() - started);
      };
      const onClose = () => {
        cleanup();
        reject(
          new ClosedError(`ping ${this.peerName}: the WebSocket closed before the pong`, {
            ...this.#context,
            op: 'read',
          }),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new TimeoutError(`ping ${this.peerName}: no pong within ${timeout}ms`, timeout, {
            ...this.#context,
            op: 'read',
          }),
        );
      }, timeout);
      timer.unref();
      socket.on('pong', onPong);
      socket.once('close', onClose);
      socket.ping();
    });
  }

  /**
   * Close with a code (1000 normal, 1001 going away, 3000-4999 for applications) and a reason
   * (at most 123 bytes of UTF-8), then wait for the peer's Close as close() does.
   */
  closeWith(code: number, reason = ''): Promise<void> {
    if (!isSendableCloseCode(code)) {
      throw new ArgumentError(`invalid WebSocket close code ${code}`);
    }
    if (Buffer.byteLength(reason) > 123) {
      throw new ArgumentError('a WebSocket close reason is at most 123 bytes');
    }
    const socket = this.#socket;
    if (socket.readyState === socket.OPEN) {
      this.#closing.local = true;
      socket.close(code, reason);
    }
    return this.close();
  }

  /** Bytes taken out of the stream so far (bytes put back with unrecv() count as not taken). */
  #consumed(): number {
    return this.bytesReceived - this.buffered;
  }

  /** The first message not wholly consumed by earlier receives, dropping those that were. */
  #nextBoundary(): Boundary | undefined {
    const boundaries = this.#boundaries;
    if (boundaries === undefined) return undefined;
    const consumed = this.#consumed();
    let first = boundaries[0];
    while (first && (first.end < consumed || (first.end === consumed && first.start < first.end))) {
      boundaries.shift();
      first = boundaries[0];
    }
    return first;
  }

  #onMessage(length: number, text: boolean): void {
    const start = this.#received;
    this.#received += length;
    const boundaries = this.#boundaries;
    if (boundaries === undefined) return;
    boundaries.push({ start, end: this.#received, text });
    // Messages that stream receives consumed are forgotten as new ones come.
    if (boundaries.length > 64) this.#nextBoundary();
    if (length === 0) this.wake();
  }
}

/** Codes an endpoint may put in a Close frame (RFC 6455 section 7.4; 1004-1006 are reserved). */
function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}
