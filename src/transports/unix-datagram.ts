import { unlinkSync } from 'node:fs';
import { requireNative } from '../native/load.js';
import { MessageSocket, systemError } from './message-socket.js';

export interface UnixDatagramOptions {
  /** Bind to this path (`@name`: Linux abstract name). Unbound sockets can send, not receive replies. */
  path?: string;
  /** Connect to this peer: send() then needs no address, and only its messages are received. */
  connect?: string;
  /** Largest message received whole (default 65,536 bytes); longer ones arrive truncated. */
  maxMessageSize?: number;
}

/**
 * A Unix datagram socket (SOCK_DGRAM, AF_UNIX): reliable, ordered messages with boundaries kept,
 * between processes on one host. A socket bound to a file path removes its file on close().
 * Needs the native addon.
 */
export class UnixDatagramSocket extends MessageSocket {
  readonly #boundFile: string | undefined;

  constructor(fd: number, options: UnixDatagramOptions) {
    const addon = requireNative('Unix datagram sockets');
    const name = options.path ?? options.connect ?? '(unbound)';
    super(addon, fd, {
      network: 'unixgram',
      describe: () => `Unix datagram socket ${name}`,
      ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
      ...(options.connect !== undefined ? { connectedTo: { path: options.connect } } : {}),
    });
    this.#boundFile =
      options.path !== undefined && options.path !== '' && !options.path.startsWith('@')
        ? options.path
        : undefined;
  }

  override close(): void {
    const wasOpen = !this.closed;
    super.close();
    if (wasOpen && this.#boundFile !== undefined) {
      try {
        unlinkSync(this.#boundFile);
      } catch {
        // Already gone (removed by someone else): nothing to clean up.
      }
    }
  }
}

/** Open a Unix datagram socket, bound and/or connected as asked. */
export async function openUnixDatagram(
  options: UnixDatagramOptions = {},
): Promise<UnixDatagramSocket> {
  const addon = requireNative('Unix datagram sockets');
  const { AF_UNIX, SOCK_DGRAM } = addon.constants;
  let fd: number;
  try {
    fd = addon.socket(AF_UNIX, SOCK_DGRAM, 0);
  } catch (error) {
    throw systemError('Unix datagram socket', error, { op: 'bind', network: 'unixgram' });
  }
  try {
    if (options.path !== undefined) {
      try {
        addon.bind(fd, { path: options.path });
      } catch (error) {
        throw systemError(`bind to ${options.path}`, error, { op: 'bind', network: 'unixgram' });
      }
    }
    if (options.connect !== undefined) {
      try {
        addon.connect(fd, { path: options.connect });
      } catch (error) {
        throw systemError(`connect to ${options.connect}`, error, {
          op: 'connect',
          network: 'unixgram',
        });
      }
    }
  } catch (error) {
    addon.close(fd);
    if (options.path !== undefined && !options.path.startsWith('@')) {
      // Bound just now and failed to connect: do not leave our file behind.
      try {
        if ((error as { op?: string }).op === 'connect') unlinkSync(options.path);
      } catch {}
    }
    throw error;
  }
  return new UnixDatagramSocket(fd, options);
}
