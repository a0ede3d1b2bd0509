import { Duplex } from 'node:stream';

/** An in-memory Duplex standing in for a socket: the test plays the peer. */
export interface FakePeer {
  stream: Duplex;
  /** Bytes the peer sends (the tube receives them). */
  send(data: string | Buffer): void;
  /** The peer finishes sending (FIN). */
  end(): void;
  /** Everything the tube wrote so far. */
  received(): Buffer;
  /** True once the tube ended its writable side. */
  readonly finished: boolean;
}

export function fakePeer(): FakePeer {
  const written: Buffer[] = [];
  let finished = false;
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
    final(callback) {
      finished = true;
      callback();
    },
  });
  return {
    stream,
    send: (data) => {
      stream.push(typeof data === 'string' ? Buffer.from(data) : data);
    },
    end: () => {
      stream.push(null);
    },
    received: () => Buffer.concat(written),
    get finished() {
      return finished;
    },
  };
}
