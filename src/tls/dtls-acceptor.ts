import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import { type ErrorContext, type SockcatError, TlsError } from '../errors.js';
import type { NativeAddon, NativeDtlsHandle } from '../native/load.js';
import { DtlsConnection } from './dtls-connection.js';
import { createDtlsServerContext, DEFAULT_DTLS_MTU, requireDtls } from './dtls-context.js';
import { dtlsInfoOf, dtlsVerifyProblem } from './dtls-verify.js';
import { pinForm } from './fingerprint.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsServerOptions } from './options.js';
import { parsePin, pinMatches } from './pin.js';

/** Handshakes under way at once (peers that answered a cookie), unless told otherwise. */
export const DEFAULT_MAX_HALF_OPEN = 64;

export interface DtlsServerOptions extends TlsServerOptions {
  /**
   * Peers whose handshake is under way at most (default 64). Only peers that echoed a cookie
   * count: a spoofed source never gets past the HelloVerifyRequest, which keeps no state.
   */
  maxHalfOpen?: number;
  /** Largest datagram the records are cut to. Default 1400. */
  mtu?: number;
}

/** A sender on the server's socket, and how to answer it. */
export interface DtlsSender {
  remote: Endpoint;
  local: Endpoint;
  reply(datagram: Buffer): Promise<void>;
}

interface Entry {
  connection: DtlsConnection;
  established: boolean;
}

/**
 * The server side of DTLS over one UDP socket that many peers send to. A datagram from a peer
 * without a session goes through the stateless cookie exchange (HelloVerifyRequest, RFC 6347
 * 4.2.1); a ClientHello that echoes a valid cookie starts that peer's session, and once its
 * handshake is done (and its certificate passed, when asked for) `onConnection` gets it.
 */
export class DtlsAcceptor {
  /** SHA-256 fingerprint of the server's certificate (colon hex). */
  readonly fingerprint: string;
  /** True when the certificate was made in memory. */
  readonly ephemeral: boolean;
  /** A peer's session is established. */
  onConnection: (connection: DtlsConnection) => void = (connection) => void connection.close();
  /** A peer's handshake failed, or its certificate was refused. */
  onFailure: (error: SockcatError, remote: Endpoint) => void = () => {};
  /** A peer that answered its cookie found every half-open slot taken. */
  onBusy: (remote: Endpoint) => void = () => {};

  readonly #native: NativeAddon;
  readonly #context: NativeDtlsHandle;
  readonly #options: DtlsServerOptions;
  readonly #pin: Buffer | undefined;
  readonly #sessions = new Map<string, Entry>();
  #listener: NativeDtlsHandle;
  #halfOpen = 0;
  #accepting = true;

  /** @internal Use createDtlsAcceptor(). */
  constructor(
    native: NativeAddon,
    context: { handle: NativeDtlsHandle; fingerprint: string; ephemeral: boolean },
    options: DtlsServerOptions,
  ) {
    this.#native = native;
    this.#context = context.handle;
    this.fingerprint = context.fingerprint;
    this.ephemeral = context.ephemeral;
    this.#options = options;
    this.#pin = options.pin === undefined ? undefined : parsePin(options.pin);
    this.#listener = this.#newListener();
  }

  /** Handshakes under way. */
  get halfOpen(): number {
    return this.#halfOpen;
  }

  /** Established sessions and handshakes under way. */
  get size(): number {
    return this.#sessions.size;
  }

  /** One datagram that arrived on the socket. */
  receive(data: Buffer, sender: DtlsSender): void {
    const key = `${sender.remote.address}|${sender.remote.port}`;
    const entry = this.#sessions.get(key);
    if (entry) {
      entry.connection.receiveRaw(data);
      return;
    }
    if (!this.#accepting) return;
    const result = this.#native.dtlsListen(this.#listener, data, key);
    for (const datagram of result.out) sender.reply(datagram).catch(() => {});
    if (result.accepted !== 1) return;
    // This listener now carries the peer's handshake; the next peer gets a fresh one.
    const handle = this.#listener;
    this.#listener = this.#newListener();
    if (this.#halfOpen >= (this.#options.maxHalfOpen ?? DEFAULT_MAX_HALF_OPEN)) {
      this.onBusy(sender.remote);
      return;
    }
    this.#start(key, handle, sender);
  }

  /** Take no new peers; the sessions there are go on. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Close every session (close_notify to each). */
  async close(): Promise<void> {
    this.#accepting = false;
    await Promise.all([...this.#sessions.values()].map((entry) => entry.connection.close()));
  }

  #newListener(): NativeDtlsHandle {
    return this.#native.dtlsSession(this.#context, {
      mtu: this.#options.mtu ?? DEFAULT_DTLS_MTU,
      listener: true,
    });
  }

  #start(key: string, handle: NativeDtlsHandle, sender: DtlsSender): void {
    const connection = new DtlsConnection(
      this.#native,
      handle,
      {
        send: (datagram) => sender.reply(datagram),
        close: async () => {
          if (this.#sessions.get(key)?.connection === connection) this.#sessions.delete(key);
        },
      },
      { local: sender.local, remote: sender.remote },
    );
    const entry: Entry = { connection, established: false };
    this.#sessions.set(key, entry);
    this.#halfOpen++;
    const peer = formatHostPort(sender.remote.address, sender.remote.port);
    const context: ErrorContext = {
      op: 'handshake',
      network: 'udp',
      address: sender.remote.address,
      port: sender.remote.port,
    };
    // The ClientHello that carried the cookie is buffered in the session: go on from it.
    connection.receiveRaw(null);
    connection
      .handshake(this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, undefined, context)
      .then(
        () => {
          this.#halfOpen--;
          entry.established = true;
          const refusal = this.#check(connection, peer, context);
          if (refusal) {
            void connection.close();
            this.onFailure(refusal, sender.remote);
            return;
          }
          this.onConnection(connection);
        },
        (error: SockcatError) => {
          this.#halfOpen--;
          if (this.#sessions.get(key) === entry) this.#sessions.delete(key);
          this.onFailure(error, sender.remote);
        },
      );
  }

  /** The client's certificate, when one was asked for; sets connection.tls. */
  #check(connection: DtlsConnection, peer: string, context: ErrorContext): TlsError | undefined {
    const info = connection.session.info();
    const asked = this.#options.requestCert === true || this.#pin !== undefined;
    const problem = asked ? dtlsVerifyProblem(info) : undefined;
    const fail = (text: string, reason: ConstructorParameters<typeof TlsError>[1]) =>
      new TlsError(`DTLS handshake with ${peer} failed: ${text}`, reason, context);
    if (problem && !this.#options.insecure) return fail(`client ${problem.text}`, problem.reason);
    const tls = dtlsInfoOf(
      info,
      asked && (!problem || this.#pin !== undefined),
      problem?.text,
      undefined,
    );
    if (this.#pin && !pinMatches(this.#pin, tls.fingerprint)) {
      return fail(
        `client certificate does not match the pin (its fingerprint is ${tls.fingerprint ? pinForm(tls.fingerprint) : 'none'})`,
        'pin',
      );
    }
    connection.tls = tls;
    return undefined;
  }
}

/** Build the server side of DTLS; fails with ArgumentError for a bad certificate or key. */
export async function createDtlsAcceptor(options: DtlsServerOptions = {}): Promise<DtlsAcceptor> {
  const native = requireDtls();
  const context = await createDtlsServerContext(native, options);
  return new DtlsAcceptor(native, context, options);
}
