import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ClosedError, type ErrorContext, WebSocketError } from '../errors.js';

/** How a WebSocket connection ended: the close frame received, or 1006 when none came. */
export interface WebSocketClose {
  /** RFC 6455 close code: 1000 normal, 1001 going away, 1009 too big, 1006 no close frame. */
  code: number;
  reason: string;
  /** Who sent the first close frame: 'peer', 'local', or 'none' when the connection just died. */
  initiator: 'peer' | 'local' | 'none';
}

export interface WebSocketStreamOptions {
  /** The kind chosen per write (sendMessage); writes not in it go out as `defaultText` says. */
  kinds: WeakMap<Buffer, 'text' | 'binary'>;
  /** Plain writes (stream mode) are text messages when true, binary otherwise. */
  defaultText: boolean;
  /**
   * Line framing: plain writes are cut at each "\n" and every line (without "\n" or "\r\n") is
   * sent as one text message; each message received reads as its bytes and "\n".
   */
  lines: boolean;
  /**
   * Called for each message received, just before its bytes are pushed (a zero-length message
   * pushes none), so that message receives know where it ends.
   */
  onMessage(length: number, text: boolean): void;
  /** Set by whoever sends the first Close frame from this end (end() sets it itself). */
  closing: { local: boolean };
  /** Called once with how the connection ended. */
  onClose(close: WebSocketClose): void;
  /** Close the connection with 1011 when the peer answers no ping for this many ms. */
  pingInterval?: number;
  maxMessageSize: number;
  peerName: string;
  context: ErrorContext;
}

/**
 * An open WebSocket as a Duplex, so that a Tube and every relay can use it: each write() is sent
 * as one message, each message received is pushed as one chunk (its boundary recorded), and
 * reading pauses the socket when the reader does not keep up.
 *
 * WebSocket has no half-close: end() sends a Close frame (1000), after which nothing more can be
 * sent; what the peer had sent before its own Close still arrives. The peer's Close ends the
 * readable side, and later writes fail with a ClosedError naming the close code.
 */
export function webSocketStream(socket: WebSocket, options: WebSocketStreamOptions): Duplex {
  const { kinds, peerName, context } = options;
  let closed: WebSocketClose | undefined;
  let failure: Error | undefined;
  let pingTimer: NodeJS.Timeout | undefined;

  const stream = new Duplex({
    allowHalfOpen: true,
    // Stdin and relays write 64 KiB chunks: let a few queue before the writer waits.
    writableHighWaterMark: 256 * 1024,
    read() {
      if (socket.isPaused) socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.readyState !== socket.OPEN) {
        callback(writeAfterClose());
        return;
      }
      const kind = kinds.get(chunk);
      if (options.lines && kind === undefined) {
        sendLines(chunk, callback);
        return;
      }
      const text = kind === undefined ? options.defaultText : kind === 'text';
      // While little is queued in the socket, the next write may come at once (several frames
      // in flight, as a plain socket write would allow); beyond SEND_QUEUE_BYTES it waits for
      // this frame to be handed to the kernel. A failure then destroys the stream.
      const early = socket.bufferedAmount < SEND_QUEUE_BYTES;
      socket.send(chunk, { binary: !text, compress: false }, (error) => {
        if (!early) callback(error ? wrapSendError(error) : null);
        else if (error) stream.destroy(wrapSendError(error));
      });
      if (early) callback();
    },
    final(callback) {
      if (partialLine.length > 0 && socket.readyState === socket.OPEN) {
        // The last line had no newline: it is a message all the same.
        socket.send(partialLine, { binary: false, compress: false });
        partialLine = EMPTY;
      }
      if (socket.readyState === socket.OPEN) {
        options.closing.local = true;
        socket.close(1000);
      }
      callback();
    },
    destroy(error, callback) {
      if (pingTimer) clearInterval(pingTimer);
      if (socket.readyState !== socket.CLOSED) socket.terminate();
      callback(error);
    },
  });

  let partialLine: Buffer = EMPTY;
  /** Line framing: one text message per complete line; the callback once the last is out. */
  const sendLines = (chunk: Buffer, callback: (error?: Error | null) => void) => {
    let data = partialLine.length > 0 ? Buffer.concat([partialLine, chunk]) : chunk;
    let start = 0;
    const sent: Promise<void>[] = [];
    for (let at = data.indexOf(NEWLINE, start); at !== -1; at = data.indexOf(NEWLINE, start)) {
      const end = at > start && data[at - 1] === CR ? at - 1 : at;
      const line = data.subarray(start, end);
      sent.push(
        new Promise<void>((resolve, reject) =>
          socket.send(line, { binary: false, compress: false }, (error) =>
            error ? reject(wrapSendError(error)) : resolve(),
          ),
        ),
      );
      start = at + 1;
    }
    data = data.subarray(start);
    partialLine = Buffer.from(data);
    if (sent.length === 0) {
      callback();
      return;
    }
    Promise.all(sent).then(() => callback(), callback);
  };

  const writeAfterClose = (): Error => {
    if (failure) return failure;
    const how = closed ? ` (close code ${closed.code}${reasonText(closed.reason)})` : '';
    return new ClosedError(`send to ${peerName}: the WebSocket is closed${how}`, {
      ...context,
      op: 'write',
    });
  };
  const wrapSendError = (error: Error): Error =>
    failure ??
    new ClosedError(`send to ${peerName} failed: ${error.message}`, {
      ...context,
      op: 'write',
      cause: error,
    });

  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    let bytes = toBuffer(data);
    if (options.lines) bytes = Buffer.concat([bytes, NEWLINE_BYTES]);
    options.onMessage(bytes.length, !isBinary);
    if (bytes.length > 0 && !stream.push(bytes)) socket.pause();
  });
  socket.on('pong', () => {
    alive = true;
  });
  // The close code ws sent for a protocol error of the peer's (1009, 1007, 1002). ws stops
  // reading once it has sent it, so its 'close' says 1006 though the close was ours.
  let protocolClose: number | undefined;
  socket.on('error', (error: Error & { code?: string }) => {
    const described = describeFailure(error, options);
    failure = described;
    protocolClose = described.closeCode;
    stream.destroy(failure);
  });
  socket.on('close', (wsCode: number, reason: Buffer) => {
    if (pingTimer) clearInterval(pingTimer);
    const code = protocolClose ?? wsCode;
    const initiator =
      protocolClose !== undefined
        ? 'local'
        : wsCode === 1006
          ? 'none'
          : options.closing.local
            ? 'local'
            : 'peer';
    closed = { code, reason: reason.toString('utf8'), initiator };
    options.onClose(closed);
    if (failure) return;
    if (code === 1006) {
      // The TCP connection ended without a close frame: that is a failure, not an end of file.
      failure = new WebSocketError(
        `connection to ${peerName} closed without a WebSocket close frame`,
        { ...context, op: 'read', closeCode: 1006 },
      );
      stream.destroy(failure);
      return;
    }
    stream.push(null);
    // Nothing can be sent any more: finish the writable side so that the stream closes.
    if (!stream.writableEnded) stream.end();
  });

  let alive = true;
  const interval = options.pingInterval;
  if (interval !== undefined && Number.isFinite(interval) && interval > 0) {
    pingTimer = setInterval(() => {
      if (!alive) {
        failure = new WebSocketError(
          `no pong from ${peerName} within ${interval}ms: closed with code 1011`,
          { ...context, op: 'read', closeCode: 1011 },
        );
        options.closing.local = true;
        socket.close(1011, 'keepalive ping unanswered');
        stream.destroy(failure);
        return;
      }
      alive = false;
      socket.ping();
    }, interval);
    pingTimer.unref();
  }
  return stream;
}

/** Bytes queued in the WebSocket's socket before a write waits for its frame to go out. */
const SEND_QUEUE_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;
const CR = 0x0d;
const NEWLINE_BYTES = Buffer.from('\n');

function reasonText(reason: string): string {
  return reason === '' ? '' : `, ${JSON.stringify(reason)}`;
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** ws's error codes, in words a user can act on. */
function describeFailure(
  error: Error & { code?: string },
  options: WebSocketStreamOptions,
): WebSocketError {
  const { peerName, context } = options;
  switch (error.code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return new WebSocketError(
        `message from ${peerName} larger than the limit of ${options.maxMessageSize} bytes: closed with code 1009`,
        { ...context, op: 'read', closeCode: 1009, cause: error },
      );
    case 'WS_ERR_INVALID_UTF8':
      return new WebSocketError(
        `text message from ${peerName} is not valid UTF-8: closed with code 1007`,
        { ...context, op: 'read', closeCode: 1007, cause: error },
      );
    default:
      return new WebSocketError(`WebSocket protocol error from ${peerName}: ${error.message}`, {
        ...context,
        op: 'read',
        closeCode: 1002,
        cause: error,
      });
  }
}
