// WebSocket over TLS for the observed option x mode matrix (test/helpers/matrix-cells.ts):
// the ws drivers of matrix-broker.ts with a TLS side (an https server under the peer's
// WebSocketServer for wss://, a wss:// client for -l --ssl --websocket), the ws drivers that run a
// --js-exec or --lua-exec handler or --forward to a TCP origin, and the observers of what wss://
// does differently from --ssl: it verifies the server by default.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import { createCertificate, type GeneratedCertificate } from '../../src/tls/certificate.js';
import { type WsSecurity, wsConnectDriver, wsListenDriver } from './matrix-broker.js';
import { type Driver, type Exchange, type Script, tcpListenDriver } from './matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer } from './matrix-observe.js';
import { HANDLERS } from './matrix-serve.js';
import {
  certificatesFor,
  peerContext,
  type TlsExchange,
  type TlsPeer,
  type TlsView,
  viewOf,
} from './matrix-tls.js';

/** Knobs of the wss drivers beyond the TLS family's `peer`. */
export interface WssScript extends Script {
  peer: TlsPeer;
  /**
   * sockcat does not trust the test CA (wss:// verifies by default: the drivers otherwise give
   * it the CA through NODE_EXTRA_CA_CERTS, as a system's store would have it).
   */
  untrusted: boolean;
}

/** A server certificate from the test CA that also names ::1 (for -6: wss:// checks the name). */
const ipv6Certificates = new WeakMap<TestContext, Promise<GeneratedCertificate>>();

async function ipv6CertificateFor(t: TestContext): Promise<GeneratedCertificate> {
  let cert = ipv6Certificates.get(t);
  if (cert === undefined) {
    const { ca } = await certificatesFor(t);
    cert = createCertificate({ names: ['localhost', '127.0.0.1', '::1'], issuer: ca });
    ipv6Certificates.set(t, cert);
  }
  return cert;
}

/** The TLS side of the ws drivers, with the TLS family's peer (certificates, versions, ALPN). */
const WSS: WsSecurity = {
  async server(t, partial) {
    const script = partial as Partial<WssScript>;
    const peer = script.peer ?? {};
    const certs = await certificatesFor(t);
    const context = peerContext(certs, peer, 'good');
    if (peer.cert === undefined && script.host?.includes(':')) {
      const { cert, key } = await ipv6CertificateFor(t);
      Object.assign(context, { cert, key });
    }
    const view: TlsView = { secured: false };
    const server = createHttpsServer({ ...context, requestCert: peer.requestCert ?? false });
    server.on('secureConnection', (socket: TLSSocket) => {
      Object.assign(view, viewOf(socket, true));
      socket.on('error', (error: Error) => {
        view.error ??= error.message;
      });
    });
    server.on('tlsClientError', (error: Error) => {
      view.error ??= error.message;
    });
    return {
      server,
      scheme: 'wss',
      ...(script.untrusted ? {} : { env: { NODE_EXTRA_CA_CERTS: certs.files('ca').cert } }),
      extra: () => ({ tls: view }),
    };
  },
  async client(t, partial) {
    const peer = (partial as Partial<WssScript>).peer ?? {};
    const view: TlsView = { secured: false };
    const extra = () => ({ tls: view });
    // The TLS family's plain peer: a ws:// client, to see that --ssl is what sockcat speaks.
    const turnedAway = /"event":"log"[^\n]*TLS (client|handshake)/;
    if (peer.plain) return { scheme: 'ws', options: {}, upgraded: () => {}, extra, turnedAway };
    const certs = await certificatesFor(t);
    return {
      scheme: 'wss',
      options: peerContext(certs, peer),
      upgraded: (socket) => Object.assign(view, viewOf(socket as TLSSocket, false)),
      extra,
      turnedAway,
    };
  },
};

type Run = (argv?: readonly string[], script?: Partial<Script>) => Promise<Exchange>;

/** A wss run, typed with what its TLS peer saw. */
async function wssRun(
  run: Run,
  argv: readonly string[],
  script: Partial<WssScript> = {},
): Promise<TlsExchange> {
  return (await run(argv, script as Partial<Script>)) as TlsExchange;
}

/** sockcat turned the server away: nothing crossed, exit 1, for `reason`. */
function assertTurnedAway(run: TlsExchange, what: string, reason: RegExp): void {
  assert.equal(run.code, 1, `${what}: exit status 1: ${run.stderr}`);
  assert.equal(run.received.length, 0, `${what}: nothing reached the peer`);
  assert.equal(run.stdout.length, 0, `${what}: nothing reached stdout`);
  assert.match(run.stderr, reason, `${what}: the reason`);
}

const SELF_SIGNED: Partial<WssScript> = { peer: { cert: 'selfSigned' } };
const SELF_SIGNED_REASON = /self-signed certificate/;

/**
 * wss:// (connect) verifies the server by default, where --ssl alone does not: the TLS family's
 * observers of the options that turn verification on, off, or feed it, do not hold there.
 */
const WSS_CONNECT_OBSERVERS: Readonly<Record<string, Observer>> = {
  ssl: {
    // The URL makes the session TLS already: --ssl leaves it TLS, and verified (a self-signed
    // server is turned away, which --ssl-insecure, the way to turn that off, accepts).
    async observe({ run, driver }) {
      const withIt = await wssRun(run, ['--ssl']);
      assertDelivered(withIt, driver, '--ssl');
      assert.ok(withIt.tls.secured, 'the peer finished a handshake');
      const selfSigned = await wssRun(run, ['--ssl'], SELF_SIGNED);
      assertTurnedAway(selfSigned, '--ssl, a self-signed server', SELF_SIGNED_REASON);
      const insecure = await wssRun(run, ['--ssl-insecure'], SELF_SIGNED);
      assertDelivered(insecure, driver, 'the same server with --ssl-insecure');
    },
  },
  'ssl-verify': {
    async observe({ run, driver }) {
      const withIt = await wssRun(run, ['--ssl-verify'], SELF_SIGNED);
      assertTurnedAway(withIt, '--ssl-verify, a self-signed server', SELF_SIGNED_REASON);
      assertDelivered(await wssRun(run, ['--ssl-verify']), driver, 'a trusted server');
      const insecure = await wssRun(run, ['--ssl-insecure'], SELF_SIGNED);
      assertDelivered(insecure, driver, 'the self-signed server with --ssl-insecure');
    },
  },
  'ssl-insecure': {
    async observe({ run, driver }) {
      const withIt = await wssRun(run, ['--ssl-insecure'], SELF_SIGNED);
      assertDelivered(withIt, driver, '--ssl-insecure, a self-signed server');
      assert.ok(withIt.tls.secured, 'the peer finished a handshake');
      const without = await wssRun(run, [], SELF_SIGNED);
      assertTurnedAway(without, 'the same server without it', SELF_SIGNED_REASON);
    },
  },
  'ssl-trustfile': {
    // sockcat trusts no test CA of its own here: the file is what makes the server trusted.
    async observe({ t, run, driver }) {
      const certs = await certificatesFor(t);
      const untrusted: Partial<WssScript> = { untrusted: true };
      const withIt = await wssRun(run, ['--ssl-trustfile', certs.files('ca').cert], untrusted);
      assertDelivered(withIt, driver, '--ssl-trustfile');
      const without = await wssRun(run, [], untrusted);
      assertTurnedAway(without, 'without --ssl-trustfile', /issuer|self-signed certificate in/);
    },
  },
  'ssl-servername': {
    // The name is sent (SNI) and verified: the certificate's own name is taken, another refused.
    async observe({ run, baseline, driver }) {
      const withIt = await wssRun(run, ['--ssl-servername', 'localhost']);
      assertDelivered(withIt, driver, '--ssl-servername localhost');
      assert.equal(withIt.tls.servername, 'localhost');
      const without = (await baseline()) as TlsExchange;
      assertDelivered(without, driver, 'without --ssl-servername');
      assert.notEqual(without.tls.servername, 'localhost', 'no name is sent for an address');
      const other = await wssRun(run, ['--ssl-servername', 'example.com']);
      assertTurnedAway(other, '--ssl-servername example.com', /example\.com/);
    },
  },
  'ssl-pin': {
    // Under wss:// a pin is checked on top of verification (docs/cli.md: `--ssl-insecure
    // --ssl-pin` trusts exactly one certificate): with --ssl-insecure the right pin takes a
    // self-signed server; a wrong pin turns away the trusted server that is taken without it.
    async observe({ t, run, baseline, driver, argv }) {
      const certs = await certificatesFor(t);
      const pin = `sha256:${certs.selfSigned.fingerprint}`;
      const right = await wssRun(run, ['--ssl-insecure', '--ssl-pin', pin], SELF_SIGNED);
      assertDelivered(right, driver, '--ssl-insecure with the right --ssl-pin');
      const wrong = await wssRun(run, ['-v', ...argv]);
      assertTurnedAway(wrong, 'a wrong --ssl-pin', /does not match the pin/);
      assertDelivered(await baseline(), driver, 'the same server without --ssl-pin');
    },
  },
  'ssl-alpn': {
    // A wss:// client offers http/1.1 (the protocol of its upgrade) unless told another: the
    // peer, which takes either, sees the one named, and http/1.1 without the option.
    async observe({ run, driver }) {
      const peer: TlsPeer = { alpn: ['x-other', 'h2', 'http/1.1'] };
      const withIt = await wssRun(run, ['--ssl-alpn', 'h2'], { peer });
      assertDelivered(withIt, driver, '--ssl-alpn');
      assert.equal(withIt.tls.alpn, 'h2');
      const without = await wssRun(run, [], { peer });
      assertDelivered(without, driver, 'without --ssl-alpn');
      assert.equal(without.tls.alpn, 'http/1.1');
    },
  },
};

/** The handler modes over TCP (matrix-serve.ts's drivers): a run without --websocket. */
function handlerOverTcp(keepOpen: boolean): Driver {
  const base = tcpListenDriver({ keepOpen, echoes: true });
  return {
    ...base,
    run: (t, option, mode, partial = {}) =>
      base.run(t, option, mode, { ...partial, files: { ...HANDLERS, ...partial.files } }),
  };
}

/** The transports of the clients sockcat accepted, from its events. */
function acceptedOver(run: Exchange): unknown[] {
  return eventsNamed(run, 'accepted').map((event) => event['transport']);
}

/**
 * --websocket in the --js-exec and --lua-exec modes: the handler's clients speak WebSocket
 * (its echo comes back in messages), where without it the same mode serves TCP clients.
 */
function websocketOver(tcp: Driver): Observer {
  return {
    async observe({ t, run, driver, argv, mode }) {
      const withIt = await run();
      assertDelivered(withIt, driver, argv.join(' '));
      assert.deepEqual(acceptedOver(withIt), ['websocket'], withIt.stderr);
      const without = await tcp.run(t, [], mode.argv);
      assertDelivered(without, tcp, 'without --websocket');
      assert.deepEqual(acceptedOver(without), ['tcp'], without.stderr);
    },
  };
}

/** What the origin here sends back first: a peer that sees it knows its bytes went through. */
const ORIGIN_MARK = 'origin:';

/**
 * `base` (a listen driver that echoes) with an origin for --forward: a TCP server here that
 * answers `origin:` and then every byte it got, and ends when its client does. The matrix's
 * forward target (127.0.0.1:9, in the option or the mode) is aimed at it.
 */
function forwarding(base: Driver, name = `${base.name} --forward`): Driver {
  return {
    ...base,
    name,
    async run(t, option, mode, partial) {
      const origin = createServer({ allowHalfOpen: true }, (socket: Socket) => {
        t.after(() => socket.destroy());
        socket.on('error', () => {});
        socket.write(ORIGIN_MARK);
        socket.pipe(socket);
      });
      t.after(() => origin.close());
      origin.listen(0, '127.0.0.1');
      await once(origin, 'listening');
      const { port } = origin.address() as { port: number };
      const aim = (argv: readonly string[]) =>
        argv.map((word) => (word === '127.0.0.1:9' ? `127.0.0.1:${port}` : word));
      const result = await base.run(t, aim(option), aim(mode), partial);
      origin.close();
      return result;
    },
  };
}

/** A driver whose every run has the matrix's --js-exec and --lua-exec handlers at hand. */
const handlers = { files: HANDLERS, echoes: true };

/** What the TLS observers need to know of a wss driver (TlsDriver in matrix-tls.ts). */
const CONNECTS = { tlsRoles: { connects: true, goesOn: false } };
/** A wss listener goes on after a client it turned away with -k or a command, else exits 1. */
const serves = (goesOn: boolean) => ({ tlsRoles: { connects: false, goesOn } });

const DRIVERS = {
  connect: {
    ...wsConnectDriver({ security: WSS, name: 'wss connect' }),
    ...CONNECTS,
    observers: WSS_CONNECT_OBSERVERS,
  },
  connectExec: {
    ...wsConnectDriver({ security: WSS, name: 'wss connect, exec', echoes: true }),
    ...CONNECTS,
    observers: WSS_CONNECT_OBSERVERS,
  },
  connectHandler: {
    ...wsConnectDriver({ security: WSS, name: 'wss connect, handler', ...handlers }),
    ...CONNECTS,
  },
  listen: { ...wsListenDriver({ security: WSS, name: 'wss listen' }), ...serves(false) },
  listenKeepOpen: {
    ...wsListenDriver({ security: WSS, name: 'wss listen -k', keepOpen: true }),
    ...serves(true),
  },
  listenExec: {
    ...wsListenDriver({ security: WSS, name: 'wss listen, exec', echoes: true }),
    ...serves(true),
  },
  listenKeepOpenExec: {
    ...wsListenDriver({ security: WSS, name: 'wss listen -k, exec', keepOpen: true, echoes: true }),
    ...serves(true),
  },
  wsConnectHandler: wsConnectDriver({ name: 'ws connect, handler', ...handlers }),
  forward: forwarding(wsListenDriver({ name: 'ws listen', echoes: true })),
  forwardKeepOpen: {
    ...forwarding(wsListenDriver({ name: 'ws listen -k', keepOpen: true, echoes: true })),
    observers: {
      websocket: websocketOver(
        forwarding(tcpListenDriver({ keepOpen: true, echoes: true }), 'tcp forward -k'),
      ),
    },
  },
  wsListenHandler: {
    ...wsListenDriver({ name: 'ws listen, handler', ...handlers }),
    observers: { websocket: websocketOver(handlerOverTcp(false)) },
  },
  wsListenKeepOpenHandler: {
    ...wsListenDriver({ name: 'ws listen -k, handler', keepOpen: true, ...handlers }),
    observers: { websocket: websocketOver(handlerOverTcp(true)) },
  },
};

/**
 * wss:// and -l --ssl --websocket (stdio, -e/-c, --js-exec, --lua-exec), and the plain ws modes
 * with a handler (matrix-broker.ts has the others).
 */
export function chooseWss(layers: Layers, options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (transport !== 'websocket') return undefined;
  if (multiplicity !== 'once' && multiplicity !== 'keep-open') return undefined;
  const handler = io === 'js-exec' || io === 'lua-exec';
  const keepOpen = multiplicity === 'keep-open';
  if (security === 'plain') {
    if (io === 'forward' && role === 'listen' && options.forward?.kind === 'tcp') {
      if (options.forward.tls) return undefined;
      return keepOpen ? DRIVERS.forwardKeepOpen : DRIVERS.forward;
    }
    if (!handler) return undefined;
    if (role === 'connect') return keepOpen ? undefined : DRIVERS.wsConnectHandler;
    return keepOpen ? DRIVERS.wsListenKeepOpenHandler : DRIVERS.wsListenHandler;
  }
  if (security !== 'tls') return undefined;
  if (io !== 'stdio' && io !== 'exec' && !handler) return undefined;
  if (role === 'connect') {
    if (keepOpen) return undefined;
    if (handler) return DRIVERS.connectHandler;
    return io === 'exec' ? DRIVERS.connectExec : DRIVERS.connect;
  }
  if (handler) return undefined;
  const exec = io === 'exec';
  if (keepOpen) return exec ? DRIVERS.listenKeepOpenExec : DRIVERS.listenKeepOpen;
  return exec ? DRIVERS.listenExec : DRIVERS.listen;
}

/** The wss drivers, for the TLS family's observers (test/helpers/matrix-cells.ts). */
export const WSS_TLS_DRIVERS: readonly string[] = [
  DRIVERS.connect,
  DRIVERS.connectExec,
  DRIVERS.listen,
  DRIVERS.listenKeepOpen,
  DRIVERS.listenExec,
  DRIVERS.listenKeepOpenExec,
].map((driver) => driver.name);

/**
 * The WebSocket drivers (these and matrix-broker.ts's) that run the core scripts the plain TCP
 * drivers do (-4/-6, -d, -q, --retry, -w, -s/-p, --proxy, -m).
 */
export const WS_SCRIPTED_DRIVERS: readonly string[] = [
  ...WSS_TLS_DRIVERS,
  DRIVERS.connectHandler.name,
  DRIVERS.wsConnectHandler.name,
  DRIVERS.wsListenHandler.name,
  DRIVERS.wsListenKeepOpenHandler.name,
  // matrix-broker.ts's, by the names its defaults give them.
  ...[
    wsConnectDriver(),
    wsConnectDriver({ echoes: true }),
    wsListenDriver(),
    wsListenDriver({ keepOpen: true }),
    wsListenDriver({ echoes: true }),
    wsListenDriver({ keepOpen: true, echoes: true }),
  ].map((driver) => driver.name),
];
