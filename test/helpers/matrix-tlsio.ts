// TLS where the io is not plain stdio over TCP, for the observed option × mode matrix
// (test/helpers/matrix-cells.ts): the broker and chat, proxy server, --forward,
// --js-exec/--lua-exec and Unix stream drivers of the other families, made TLS ones (their
// clients speak TLS through Node's `tls`, or their peer is a tls.Server), so that matrix-tls.ts's
// observers read them as they read its own drivers.
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import type { TestCertificates } from './certificates.js';
import { brokerDriver, wsListenDriver } from './matrix-broker.js';
import {
  Collector,
  cliArgv,
  type Dial,
  type Driver,
  type Exchange,
  exchange,
  lineOrEnd,
  listeningOn,
  start,
  tcpListenDriver,
  tempDir,
} from './matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer, okRun } from './matrix-observe.js';
import {
  proxyServerDriver,
  tcpForwardDriver,
  unixForwardDriver,
  withHandlers,
} from './matrix-serve.js';
import {
  certificatesFor,
  peerContext,
  TLS_OBSERVERS,
  type TlsDriver,
  type TlsExchange,
  type TlsPeer,
  type TlsScript,
  type TlsView,
  tlsConnectDriver,
  tlsListenDriver,
  viewOf,
} from './matrix-tls.js';
import {
  datagramListenDriver,
  seqpacketListenDriver,
  unixConnectDriver,
  unixListenDriver,
} from './matrix-unix.js';

/**
 * The client connections of one run, made TLS ones as the script's peer says (or plain ones, to
 * see that the server speaks TLS), with what the last one saw; `turnedAway` once a client was
 * closed before anything came through (its handshake failed, or an alert followed it).
 */
function tlsDialer(certs: TestCertificates, peer: TlsPeer, view: TlsView) {
  let dropped = false;
  const dial: Dial = (options) => {
    let socket: Socket;
    if (peer.plain) {
      socket = createConnection(options);
      // A plain-text client speaks at once: a broker's clients otherwise wait to be accepted,
      // and the server drops a silent one only after its 3 s first-byte limit (docs/cli.md).
      socket.once('connect', () => socket.write('plain-text\n'));
    } else {
      // tls.connect passes allowHalfOpen on to its socket (Node's types leave it out).
      const connectOptions: ConnectionOptions & { allowHalfOpen?: boolean | undefined } = {
        ...peerContext(certs, peer),
        ...options,
      };
      const secure = tlsConnect(connectOptions);
      secure.once('secureConnect', () => Object.assign(view, viewOf(secure, false)));
      socket = secure;
    }
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
    });
    socket.on('error', (error: Error) => {
      view.error ??= error.message;
    });
    socket.once('close', () => {
      if (got === 0) dropped = true;
    });
    // A client the server drops at once gets its end with nothing before: it ends too (its
    // driver may hold it half-open, waiting for its close).
    socket.once('end', () => {
      if (got === 0) socket.end();
    });
    return socket;
  };
  return { dial, turnedAway: () => dropped };
}

/**
 * `base` (a driver whose clients connect through the script's `dial`) with TLS clients: the
 * exchange carries what they saw (`tls`), and the --ssl* options are observed as matrix-tls.ts
 * does. A server that turns a client away goes on (docs/cli.md, "Listen mode").
 */
function overTls(
  base: Driver,
  name: string,
  observers: Readonly<Record<string, Observer>> = TLS_OBSERVERS,
): TlsDriver {
  return {
    ...base,
    name,
    tlsRoles: { connects: false, goesOn: true },
    observers,
    async run(t, option, mode, partial = {}) {
      const peer = (partial as Partial<TlsScript>).peer ?? {};
      const view: TlsView = { secured: false };
      const { dial, turnedAway } = tlsDialer(await certificatesFor(t), peer, view);
      const run = await base.run(t, option, mode, { ...partial, dial, turnedAway });
      return { ...run, tls: view } satisfies TlsExchange;
    },
  };
}

/** A driver of matrix-tls.ts's (its exchange has `tls` already), with the --ssl* observers. */
function observedTls<D extends TlsDriver>(driver: D): D {
  return { ...driver, observers: { ...driver.observers, ...TLS_OBSERVERS } };
}

/**
 * The observations that turn a client away and read why at -v. `-l -k --forward --ssl` drops a
 * client whose handshake failed without the -v line that `-l -k --ssl` prints (`TLS handshake
 * with … failed: …`, docs/cli.md "Listen mode"): a product bug, so these cells stay unobserved.
 */
const REFUSALS = ['ssl-verify', 'ssl-trustfile', 'ssl-pin', 'ssl-min-version'];
const FORWARD_OBSERVERS = Object.fromEntries(
  Object.entries(TLS_OBSERVERS).filter(([option]) => !REFUSALS.includes(option)),
);

const DRIVERS = {
  broker: overTls(brokerDriver(), 'tls broker'),
  chat: overTls(brokerDriver({ chat: true }), 'tls chat'),
  proxy: overTls(proxyServerDriver(), 'tls http proxy server'),
  forward: overTls(tcpForwardDriver(true), 'tls forward -k', FORWARD_OBSERVERS),
  jsExec: observedTls(withHandlers(tlsListenDriver({ echoes: true }), 'js-exec')),
  luaExec: observedTls(withHandlers(tlsListenDriver({ echoes: true }), 'lua-exec')),
  unixConnect: observedTls(tlsConnectDriver({ unix: true })),
  unixListen: observedTls(tlsListenDriver({ unix: true })),
};

type Handler = 'js-exec' | 'lua-exec';

function acceptedOver(run: Exchange): unknown[] {
  return run.events.filter((event) => event.event === 'accepted').map((e) => e['transport']);
}

/**
 * --js-exec/--lua-exec served over WebSocket (-l --websocket): the echo comes back in messages,
 * and the accepted client is a WebSocket one, where without --websocket the same mode serves a
 * TCP client (broker's `websocket` observer knows only its own drivers' TCP counterparts).
 */
function handlerOverWebsocket(kind: Handler): Driver {
  const driver = withHandlers(wsListenDriver({ echoes: true }), kind);
  const tcp = withHandlers(tcpListenDriver({ echoes: true }), kind);
  const websocket: Observer = {
    async observe({ t, run, argv, mode }) {
      const withIt = await run();
      assertDelivered(withIt, driver, argv.join(' '));
      assert.deepEqual(acceptedOver(withIt), ['websocket'], withIt.stderr);
      const without = await tcp.run(t, [], mode.argv);
      assertDelivered(without, tcp, 'without --websocket');
      assert.deepEqual(acceptedOver(without), ['tcp'], without.stderr);
    },
  };
  return { ...driver, observers: { ...driver.observers, websocket } };
}

/** The handler modes (each handler an echo) over Unix stream, seqpacket, UDP and WebSocket. */
const HANDLER_DRIVERS: Readonly<Record<Handler, Readonly<Record<string, Driver>>>> = {
  'js-exec': handlersOver('js-exec'),
  'lua-exec': handlersOver('lua-exec'),
};

function handlersOver(kind: Handler): Readonly<Record<string, Driver>> {
  return {
    unixConnect: withHandlers(unixConnectDriver({ echoes: true }), kind),
    unixListen: withHandlers(unixListenDriver({ echoes: true }), kind),
    seqpacketListen: withHandlers(seqpacketListenDriver({ echoes: true }), kind),
    udpListen: withHandlers(datagramListenDriver({ echoes: true }), kind),
    websocketListen: handlerOverWebsocket(kind),
  };
}

const UNIX_FORWARDS = { once: unixForwardDriver(false), keepOpen: unixForwardDriver(true) };

/**
 * --js-exec and --lua-exec over the transports other than TCP (one session, no -k); and a Unix
 * listener's --forward to a TCP target.
 */
function chooseHandler(layers: Layers, options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security !== 'plain') return undefined;
  if (transport === 'unix' && role === 'listen' && io === 'forward') {
    const target = options.forward;
    if (target?.kind !== 'tcp' || target.tls) return undefined;
    if (multiplicity === 'once') return UNIX_FORWARDS.once;
    return multiplicity === 'keep-open' ? UNIX_FORWARDS.keepOpen : undefined;
  }
  if (multiplicity !== 'once') return undefined;
  if (io !== 'js-exec' && io !== 'lua-exec') return undefined;
  const drivers = HANDLER_DRIVERS[io];
  if (transport === 'unix') return role === 'connect' ? drivers.unixConnect : drivers.unixListen;
  if (role !== 'listen') return undefined;
  if (transport === 'seqpacket') return drivers.seqpacketListen;
  if (transport === 'udp') return drivers.udpListen;
  if (transport === 'websocket') return drivers.websocketListen;
  return undefined;
}

/**
 * TLS in the broker, chat, proxy server, --forward, --js-exec, --lua-exec and -U modes; and the
 * handler modes over Unix, seqpacket, UDP and WebSocket.
 */
export function chooseTlsio(layers: Layers, options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security === 'plain') return chooseHandler(layers, options);
  if (security !== 'tls') return undefined;
  if (transport === 'unix' && io === 'stdio' && multiplicity === 'once') {
    return role === 'connect' ? DRIVERS.unixConnect : DRIVERS.unixListen;
  }
  if (transport !== 'tcp' || role !== 'listen') return undefined;
  if (multiplicity === 'broker') return io === 'stdio' ? DRIVERS.broker : undefined;
  if (multiplicity === 'chat') return io === 'stdio' ? DRIVERS.chat : undefined;
  if (io === 'proxy-server') return options.proxyServer === 'http' ? DRIVERS.proxy : undefined;
  const target = options.forward;
  if (io === 'forward' && multiplicity === 'keep-open') {
    return target?.kind === 'tcp' && !target.tls ? DRIVERS.forward : undefined;
  }
  if (multiplicity !== 'once') return undefined;
  if (io === 'js-exec') return DRIVERS.jsExec;
  if (io === 'lua-exec') return DRIVERS.luaExec;
  return undefined;
}

export const TLSIO_OBSERVERS: Readonly<Record<string, Observer>> = {};

/**
 * The plain drivers of other families that the core observations scoped to the TCP and UDP
 * drivers suit too: -4 and -6 (the address family sockcat listens on, and the other one refused)
 * need only that the driver listens and connects where the script's `host` says.
 */
const UNIX_CONNECT = unixConnectDriver().name;

const FAMILY_DRIVERS = [
  brokerDriver().name,
  brokerDriver({ chat: true }).name,
  withHandlers(tcpListenDriver({ echoes: true }), 'js-exec').name,
  withHandlers(tcpListenDriver({ echoes: true }), 'lua-exec').name,
  proxyServerDriver().name,
  tcpForwardDriver(true).name,
];

const BROKERS = [brokerDriver().name, brokerDriver({ chat: true }).name];

/**
 * -m 1 in a broker: a second client while the first is in is turned away (max-conns), where the
 * driver's run without it has both in (the core observation's script is the TCP drivers').
 */
const brokerMaxConns: Observer = {
  only: BROKERS,
  async observe({ t, mode, baseline }) {
    const dir = tempDir(t, {});
    const started = start(t, cliArgv(['-m', '1'], mode.argv, ['127.0.0.1', '0']), dir);
    const stderr = started.child.stderr!;
    const listening = await listeningOn(stderr);
    assert.ok(listening !== undefined, 'sockcat listens');
    const connect = () => {
      const socket = createConnection({ host: listening.address, port: listening.port });
      t.after(() => socket.destroy());
      socket.on('error', () => {});
      socket.resume();
      return {
        socket,
        closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
      };
    };
    const first = connect();
    await Promise.race([lineOrEnd(stderr, /"event":"accepted"/), first.closed]);
    const second = connect();
    await Promise.all([second.closed, lineOrEnd(stderr, /"event":"denied"/)]);
    first.socket.end();
    await first.closed;
    started.child.stdin!.end();
    await lineOrEnd(stderr, /"event":"closed"/);
    started.child.kill('SIGTERM');
    const withIt = exchange(await started.done, new Collector(), dir, '');
    okRun(withIt, '-m 1');
    assert.equal(eventsNamed(withIt, 'accepted').length, 1, withIt.stderr);
    assert.deepEqual(
      eventsNamed(withIt, 'denied').map((event) => event['reason']),
      ['max-conns'],
    );
    const without = await baseline();
    assert.equal(eventsNamed(without, 'accepted').length, 2, without.stderr);
    assert.equal(eventsNamed(without, 'denied').length, 0, without.stderr);
  },
};

/**
 * What the core observers (scoped to the TCP and UDP drivers) get for these families'
 * drivers (matrix-observe.ts's alsoFor): drivers they suit as they are, or an observer of ours.
 */
export const TLSIO_CORE_EXTENSIONS: Readonly<Record<string, readonly string[] | Observer>> = {
  ipv4: FAMILY_DRIVERS,
  ipv6: FAMILY_DRIVERS,
  'max-conns': brokerMaxConns,
  // These drivers keep their clients (or peer) in until sockcat ends (peerHolds).
  'quit-after-eof': [
    ...BROKERS,
    UNIX_CONNECT,
    unixListenDriver().name,
    seqpacketListenDriver().name,
  ],
  // Its peer's path can be bound only after sockcat's first attempt failed (target 'later').
  retry: [UNIX_CONNECT],
  'retry-delay': [UNIX_CONNECT],
  'retry-forever': [UNIX_CONNECT],
};
