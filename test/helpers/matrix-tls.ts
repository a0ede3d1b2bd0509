// TLS over TCP for the observed option × mode matrix (test/helpers/matrix-cells.ts):
// drivers whose peer is Node's own `tls` (a tls.Server when sockcat connects, tls.connect when it
// listens), with the plain TCP drivers' exchange (so the core observers read them the same way),
// plus what the TLS peer saw; and the observers of the --ssl* options.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  type ConnectionOptions,
  createServer as createTlsServer,
  type TLSSocket,
  type TlsOptions,
  connect as tlsConnect,
} from 'node:tls';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import { makeCertificates, type TestCertificates } from './certificates.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Driver,
  type Exchange,
  exchange,
  holds,
  lineOrEnd,
  type Script,
  type Started,
  socketsOf,
  start,
  tempDir,
} from './matrix-drivers.js';
import { assertDelivered, type Observer } from './matrix-observe.js';

export type CertName = Exclude<keyof TestCertificates, 'files'>;

/** How the TLS peer behaves (both ends: sockcat's server when it connects, its client when it listens). */
export interface TlsPeer {
  /** The certificate the peer presents: the server's ('good' by default), a client's (none by default). */
  cert?: CertName;
  /** The server peer asks sockcat for a client certificate (accepting whatever comes). */
  requestCert?: boolean;
  /** The highest version the peer speaks ('TLSv1.2' to see --ssl-ciphers and --ssl-min-version). */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** ALPN protocols the peer offers (client) or accepts (server). */
  alpn?: string[];
  /** The peer speaks plain TCP (to see that --ssl is what sockcat speaks). */
  plain?: boolean;
}

export interface TlsScript extends Script {
  peer: TlsPeer;
}

/** What the TLS peer saw of the session. */
export interface TlsView {
  /** The handshake finished on the peer's side. */
  secured: boolean;
  protocol?: string | null;
  cipher?: string;
  /** The negotiated ALPN protocol, or false. */
  alpn?: string | false | null;
  /** SHA-256 fingerprint (colon hex) of the certificate sockcat presented, if any. */
  certificate?: string;
  /** The SNI name sockcat sent (server peer), or false. */
  servername?: string | false | null;
  /** The first error on the peer's side (a failed handshake, an alert after it). */
  error?: string;
}

export interface TlsExchange extends Exchange {
  tls: TlsView;
}

/** A driver the TLS observers read: they need to know its roles beyond its exchange. */
export interface TlsDriver extends Driver {
  tlsRoles: {
    /** sockcat connects: its peer is the server (else sockcat serves, and the peer a client). */
    connects: boolean;
    /** sockcat goes on serving after a client it turned away, and is stopped (else it exits 1). */
    goesOn: boolean;
  };
}

function rolesOf(driver: Driver): TlsDriver['tlsRoles'] {
  const roles = (driver as Partial<TlsDriver>).tlsRoles;
  assert.ok(roles, `${driver.name} is no TLS driver`);
  return roles;
}

/** One set of certificates per test: the observer names their files, the driver's peer uses them. */
const certificateSets = new WeakMap<TestContext, Promise<TestCertificates>>();

export function certificatesFor(t: TestContext): Promise<TestCertificates> {
  let set = certificateSets.get(t);
  if (set === undefined) {
    set = makeCertificates(t);
    certificateSets.set(t, set);
  }
  return set;
}

export function viewOf(socket: TLSSocket, server: boolean): TlsView {
  const certificate = socket.getPeerCertificate();
  return {
    secured: true,
    protocol: socket.getProtocol(),
    cipher: socket.getCipher().name,
    alpn: socket.alpnProtocol,
    ...(certificate && 'fingerprint256' in certificate && certificate.fingerprint256
      ? { certificate: certificate.fingerprint256 }
      : {}),
    ...(server
      ? { servername: (socket as TLSSocket & { servername?: string | false }).servername }
      : {}),
  };
}

/** The peer's certificate and key as tls options, with the test CA trusted. */
export function peerContext(
  certs: TestCertificates,
  peer: TlsPeer,
  fallback?: CertName,
): Pick<TlsOptions, 'cert' | 'key' | 'ca' | 'rejectUnauthorized' | 'maxVersion' | 'ALPNProtocols'> {
  const name = peer.cert ?? fallback;
  return {
    ...(name === undefined ? {} : { cert: certs[name].cert, key: certs[name].key }),
    ca: certs.ca.cert,
    rejectUnauthorized: false,
    ...(peer.maxVersion === undefined ? {} : { maxVersion: peer.maxVersion }),
    ...(peer.alpn === undefined ? {} : { ALPNProtocols: peer.alpn }),
  };
}

/**
 * Connect modes over TLS: the peer is a tls.Server here (the test CA's 'good' certificate for
 * 127.0.0.1 unless the script names another); sockcat connects, sends its stdin and half-closes
 * at its end; the peer sends its bytes, reads to EOF, and then closes (as tcpConnectDriver).
 * With `unix`, the server listens on a path in the run's directory (-U --ssl).
 */
export function tlsConnectDriver({ echoes = false, unix = false } = {}): TlsDriver {
  return {
    name: `tls${unix ? ' unix' : ''} connect${echoes ? ', exec' : ''}`,
    tlsRoles: { connects: true, goesOn: false },
    echoes,
    async run(t, option, mode, partial = {}) {
      const script: TlsScript = { ...DEFAULT_SCRIPT, peer: {}, ...(partial as Partial<TlsScript>) };
      const certs = await certificatesFor(t);
      const dir = tempDir(t, script.files);
      const received = new Collector();
      const view: TlsView = { secured: false };
      let sockets = '';
      let started: Started | undefined;
      const server: Server = script.peer.plain
        ? createServer({ allowHalfOpen: true })
        : createTlsServer({
            ...peerContext(certs, script.peer, 'good'),
            requestCert: script.peer.requestCert ?? false,
            allowHalfOpen: true,
          });
      t.after(() => server.close());
      const session = new Promise<void>((resolve) => {
        // A handshake that fails ends the session here (sockcat refused the server, or spoke plain).
        server.once('tlsClientError', (error: Error) => {
          view.error ??= error.message;
          resolve();
        });
        server.once(script.peer.plain ? 'connection' : 'secureConnection', (socket: Socket) => {
          t.after(() => socket.destroy());
          if (!script.peer.plain) Object.assign(view, viewOf(socket as TLSSocket, true));
          socket.on('error', (error: Error) => {
            view.error ??= error.message;
          });
          socket.on('close', () => resolve());
          socket.on('data', (chunk: Buffer) => received.add(chunk));
          if (script.idlePeer) {
            // It sends nothing, and closes once sockcat has closed.
          } else if (script.peerCloses || (echoes && !script.probeSockets)) {
            socket.end(script.peerSends);
          } else {
            socket.write(script.peerSends);
          }
          if (script.probeSockets) {
            const want = String(echoes ? script.peerSends : script.stdin).trimEnd();
            const probe = async () => {
              if (!received.bytes.includes(want)) return;
              socket.off('data', probe);
              sockets = await socketsOf(started!.child.pid!, 'tcp');
              if (echoes) socket.end();
              else started!.child.stdin!.end();
            };
            socket.on('data', probe);
          }
          socket.on('end', () => socket.end());
        });
      });
      const path = join(dir, 'peer.sock');
      if (unix) server.listen(path);
      else server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = unix ? 0 : (server.address() as { port: number }).port;
      started = start(t, cliArgv(option, mode, unix ? [path] : [script.host, String(port)]), dir);
      if (script.idlePeer) session.then(() => started.child.stdin!.end());
      else if (script.probeSockets && !echoes) started.child.stdin!.write(script.stdin);
      else started.child.stdin!.end(script.stdin);
      const result = await started.done;
      server.close();
      if (result.code === 0) await session;
      return { ...exchange(result, received, dir, sockets), tls: view } satisfies TlsExchange;
    },
  };
}

/**
 * Listen modes over TLS: sockcat listens on port 0, one tls.connect client connects here (with
 * the script's certificate, if any), sends its bytes and half-closes, and reads to EOF, as
 * tcpListenDriver does. A client sockcat turns away (a failed handshake, or an alert right after
 * it under TLS 1.3) ends the run: `-l` alone exits by itself; with -k or -e sockcat goes on
 * listening and is stopped, once it said why when the option has -v (the reason is a -v line).
 * With `unix`, sockcat listens on a path in the run's directory (-U -l --ssl).
 */
export function tlsListenDriver({
  keepOpen = false,
  echoes = false,
  unix = false,
} = {}): TlsDriver {
  return {
    name: `tls${unix ? ' unix' : ''} listen${keepOpen ? ' -k' : ''}${echoes ? ', exec' : ''}`,
    tlsRoles: { connects: false, goesOn: keepOpen || echoes },
    echoes,
    async run(t, option, mode, partial = {}) {
      const script: TlsScript = { ...DEFAULT_SCRIPT, peer: {}, ...(partial as Partial<TlsScript>) };
      const certs = await certificatesFor(t);
      const dir = tempDir(t, script.files);
      const path = join(dir, 'sockcat.sock');
      const started = start(t, cliArgv(option, mode, unix ? [path] : [script.host, '0']), dir);
      const { child } = started;
      const view: TlsView = { secured: false };
      const done = async (received: Collector, sockets: string): Promise<TlsExchange> => ({
        ...exchange(await started.done, received, dir, sockets),
        tls: view,
      });
      const listening = await lineOrEnd(
        child.stderr!,
        unix
          ? /"event":"listening"|Listening on \//
          : /"event":"listening".*?"port":(\d+)|Listening on \S+:(\d+)/,
      );
      if (listening === undefined) return done(new Collector(), '');
      const at = unix
        ? { path }
        : { host: script.host, port: Number(listening[1] ?? listening[2]) };
      if (!keepOpen && !script.idlePeer) {
        if (script.probeSockets) child.stdin!.write(script.stdin);
        else child.stdin!.end(script.stdin);
      }
      const received = new Collector();
      // tls.connect passes allowHalfOpen on to its socket (Node's types leave it out).
      const connectOptions: ConnectionOptions & { allowHalfOpen: boolean } = {
        ...peerContext(certs, script.peer),
        ...at,
        allowHalfOpen: true,
      };
      const client: Socket = script.peer.plain
        ? createConnection({ ...at, allowHalfOpen: true })
        : tlsConnect(connectOptions);
      t.after(() => client.destroy());
      client.on('error', (error: Error) => {
        view.error ??= error.message;
      });
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      // A turned-away client may be at EOF before anything waits for it: the end is kept.
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      client.on('data', (chunk: Buffer) => received.add(chunk));
      // (events.once would reject on the error of a failed handshake: that is an outcome here.)
      await Promise.race([
        new Promise<void>((resolve) => {
          client.once(script.peer.plain ? 'connect' : 'secureConnect', () => {
            if (!script.peer.plain) Object.assign(view, viewOf(client as TLSSocket, false));
            resolve();
          });
        }),
        ended,
        closed,
      ]);
      // Under TLS 1.3 the server checks a client certificate after the client's handshake is
      // done: its refusal is an alert that closes the client, which the races below also see.
      let sockets = '';
      /** With -k: whether sockcat took the client in (its `accepted` event came). */
      let taken: boolean | undefined;
      if (script.peerCloses || script.denied) {
        client.end(script.peerSends);
      } else if (!script.idlePeer) {
        client.write(script.peerSends);
        // With -e too: a client turned away there is known by its missing `accepted` event.
        if (keepOpen || echoes || script.probeSockets) {
          const accepted = await Promise.race([
            lineOrEnd(child.stderr!, /"event":"accepted"|Connection from/),
            ended.then(() => undefined),
            closed,
          ]);
          taken = accepted !== undefined;
          if (taken && keepOpen) child.stdin!.write(script.stdin);
          const want = String(echoes ? script.peerSends : script.stdin).trimEnd();
          await Promise.race([holds(received, want, client), ended, closed]);
        }
        if (script.probeSockets && view.error === undefined) {
          sockets = await socketsOf(child.pid!, 'tcp');
          if (!keepOpen) child.stdin!.end();
        }
        client.end();
      } else {
        client.on('end', () => client.end());
      }
      await closed;
      if (script.idlePeer) child.stdin!.end();
      // A turned-away client has no session to close: the -v line (if asked for) says why. With
      // -e (as with -k) sockcat goes on listening after it (docs/cli.md, "Listen mode").
      const refused = taken === undefined ? view.error !== undefined || !view.secured : !taken;
      const goesOn = keepOpen || script.denied || (echoes && refused);
      if (goesOn && child.exitCode === null) {
        const verbose = option.some((word) => /^-v+$/.test(word));
        if (!refused) {
          await lineOrEnd(child.stderr!, script.denied ? /"event":"denied"/ : /"event":"closed"/);
        } else if (verbose) {
          await lineOrEnd(child.stderr!, /"event":"log"[^\n]*TLS (client|handshake)/);
        }
        child.kill('SIGTERM');
      }
      return done(received, sockets);
    },
  };
}

const DRIVERS = {
  connect: tlsConnectDriver(),
  connectExec: tlsConnectDriver({ echoes: true }),
  listen: tlsListenDriver(),
  listenKeepOpen: tlsListenDriver({ keepOpen: true }),
  listenExec: tlsListenDriver({ echoes: true }),
  listenKeepOpenExec: tlsListenDriver({ keepOpen: true, echoes: true }),
};

/** TLS over TCP: connect, listen (once and -k), stdio and -e/-c. */
export function chooseTls(layers: Layers, _options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (transport !== 'tcp' || security !== 'tls') return undefined;
  const exec = io === 'exec';
  if (io !== 'stdio' && !exec) return undefined;
  if (role === 'connect') {
    if (multiplicity !== 'once' && multiplicity !== 'keep-open') return undefined;
    return exec ? DRIVERS.connectExec : DRIVERS.connect;
  }
  if (multiplicity === 'once') return exec ? DRIVERS.listenExec : DRIVERS.listen;
  if (multiplicity === 'keep-open')
    return exec ? DRIVERS.listenKeepOpenExec : DRIVERS.listenKeepOpen;
  return undefined;
}

const LISTEN_DRIVERS = [
  DRIVERS.listen.name,
  DRIVERS.listenKeepOpen.name,
  DRIVERS.listenExec.name,
  DRIVERS.listenKeepOpenExec.name,
];

/** (Other families' TLS drivers, wss connect among them, say so in their names.) */
function isConnect(driver: Driver): boolean {
  return rolesOf(driver).connects;
}

/** A TLS run, typed with what its peer saw. */
async function tlsRun(
  run: (argv?: readonly string[], script?: Partial<Script>) => Promise<Exchange>,
  argv: readonly string[],
  peer: TlsPeer = {},
): Promise<TlsExchange> {
  const script: Partial<TlsScript> = { peer };
  return (await run(argv, script)) as TlsExchange;
}

/** The session was turned away: nothing crossed, and sockcat (without -k) failed. */
function assertRefused(run: TlsExchange, driver: Driver, what: string, reason: RegExp): void {
  assert.equal(run.received.length, 0, `${what}: nothing reached the peer`);
  assert.equal(run.stdout.length, 0, `${what}: nothing reached stdout`);
  if (!isConnect(driver) && rolesOf(driver).goesOn) {
    // The server goes on: it was stopped after the client was turned away.
    assert.ok(run.signal === 'SIGTERM' || run.code === 143, `${what}: ${run.code} ${run.stderr}`);
  } else {
    assert.equal(run.code, 1, `${what}: exit status 1: ${run.stderr}`);
  }
  assert.match(run.stderr, reason, `${what}: the reason`);
}

/** The certificate's SHA-256 fingerprint as X509Certificate gives it (the peer's form). */
function fingerprintOfPem(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

export const TLS_OBSERVERS: Readonly<Record<string, Observer>> = {
  ssl: {
    // --ssl makes the mode TLS: a TLS peer delivers both ways, and a plain-text peer (which
    // the same mode without --ssl serves: the TCP drivers) gets nothing through.
    async observe({ run, driver }) {
      const withIt = await tlsRun(run, ['--ssl']);
      assertDelivered(withIt, driver, '--ssl');
      assert.ok(withIt.tls.secured, 'the peer finished a handshake');
      const plain = await tlsRun(run, ['--ssl'], { plain: true });
      assert.doesNotMatch(plain.stdout.toString(), /from-peer/, 'no plain text reached stdout');
      assert.doesNotMatch(plain.received.toString(), /from-/, 'no plain text reached the peer');
      if (isConnect(driver)) {
        // What the plain server got is a TLS handshake record (content type 22).
        assert.equal(plain.received[0], 0x16, 'a TLS record reached the plain-text peer');
      }
    },
  },
  'ssl-cert': {
    // -l: the client sees exactly that certificate (else sockcat's temporary one); connect: a
    // server that asks for a client certificate gets that one (else none).
    observe: observeCertificateOnce,
  },
  'ssl-key': { observe: observeCertificateOnce },
  'ssl-verify': {
    async observe({ t, run, driver }) {
      const certs = await certificatesFor(t);
      const trust = ['--ssl-trustfile', certs.files('ca').cert];
      if (isConnect(driver)) {
        // An untrusted (self-signed) server is refused with it, taken without it.
        const peer: TlsPeer = { cert: 'selfSigned' };
        const withIt = await tlsRun(run, ['--ssl-verify', ...trust], peer);
        assertRefused(withIt, driver, '--ssl-verify', /self-signed certificate/);
        const without = await tlsRun(run, ['--ssl', ...trust], peer);
        assertDelivered(without, driver, 'the same server without --ssl-verify');
        // And a server with a trusted certificate is taken with it.
        assertDelivered(await tlsRun(run, ['--ssl-verify', ...trust]), driver, 'a trusted server');
        return;
      }
      // -l: a client without a certificate is refused with it, served without it; one with a
      // certificate from the trusted CA is served with it.
      const withIt = await tlsRun(run, ['-v', '--ssl-verify', ...trust]);
      assertRefused(withIt, driver, '--ssl-verify', /refused: no client certificate/);
      assertDelivered(await tlsRun(run, ['--ssl', ...trust]), driver, 'without --ssl-verify');
      const client = await tlsRun(run, ['--ssl-verify', ...trust], { cert: 'client' });
      assertDelivered(client, driver, 'a client with a trusted certificate');
    },
  },
  'ssl-trustfile': {
    // With --ssl-verify, the CA file is what makes the test CA's certificates trusted.
    async observe({ t, run, driver }) {
      const certs = await certificatesFor(t);
      const trust = ['--ssl-trustfile', certs.files('ca').cert];
      const peer: TlsPeer = isConnect(driver) ? {} : { cert: 'client' };
      const withIt = await tlsRun(run, ['--ssl-verify', ...trust], peer);
      assertDelivered(withIt, driver, '--ssl-trustfile');
      const without = await tlsRun(run, ['-v', '--ssl-verify'], peer);
      assertRefused(
        without,
        driver,
        '--ssl-verify without --ssl-trustfile',
        /self-signed certificate in the chain|issuer not trusted/,
      );
    },
  },
  'ssl-ciphers': {
    // Over TLS 1.2 the peer sees the one cipher asked for, and another one without the option.
    async observe({ run, driver }) {
      const cipher = 'ECDHE-ECDSA-CHACHA20-POLY1305';
      const peer: TlsPeer = { maxVersion: 'TLSv1.2' };
      const withIt = await tlsRun(run, ['--ssl-ciphers', cipher], peer);
      assertDelivered(withIt, driver, '--ssl-ciphers');
      assert.equal(withIt.tls.protocol, 'TLSv1.2');
      assert.equal(withIt.tls.cipher, cipher);
      const without = await tlsRun(run, ['--ssl'], peer);
      assertDelivered(without, driver, 'without --ssl-ciphers');
      assert.notEqual(without.tls.cipher, cipher);
    },
  },
  'ssl-servername': {
    // The server sees the SNI name; connecting to an IP address sends none without it.
    except: LISTEN_DRIVERS,
    async observe({ run, driver }) {
      // The name is not the certificate's: nothing is verified without --ssl-verify.
      const withIt = await tlsRun(run, ['--ssl-servername', 'example.com']);
      assertDelivered(withIt, driver, '--ssl-servername');
      assert.equal(withIt.tls.servername, 'example.com');
      const without = await tlsRun(run, ['--ssl']);
      assertDelivered(without, driver, 'without --ssl-servername');
      assert.notEqual(without.tls.servername, 'example.com');
    },
  },
  'ssl-alpn': {
    // The peer offers (client) or accepts (server) several protocols: the one sockcat names is
    // negotiated; without the option, none is.
    async observe({ run, driver }) {
      const peer: TlsPeer = { alpn: ['x-other', 'h2'] };
      const withIt = await tlsRun(run, ['--ssl-alpn', 'h2'], peer);
      assertDelivered(withIt, driver, '--ssl-alpn');
      assert.equal(withIt.tls.alpn, 'h2');
      const without = await tlsRun(run, ['--ssl'], peer);
      assertDelivered(without, driver, 'without --ssl-alpn');
      assert.equal(without.tls.alpn, false);
    },
  },
  'ssl-pin': {
    // connect: the server's certificate; -l: the client's. The right pin is taken (and alone
    // trusts an otherwise unverified certificate), a wrong one refused.
    async observe({ t, run, driver, argv }) {
      const certs = await certificatesFor(t);
      const connect = isConnect(driver);
      const peer: TlsPeer = connect ? { cert: 'selfSigned' } : { cert: 'client' };
      const pin = `sha256:${(connect ? certs.selfSigned : certs.client).fingerprint}`;
      const right = await tlsRun(run, ['--ssl-pin', pin], peer);
      assertDelivered(right, driver, 'the right --ssl-pin');
      assert.doesNotMatch(right.stderr, /not verified/, 'the pinned certificate counts as checked');
      const wrong = await tlsRun(run, ['-v', ...argv], peer);
      assertRefused(wrong, driver, 'a wrong --ssl-pin', /does not match the pin/);
      const without = await tlsRun(run, ['--ssl'], peer);
      assertDelivered(without, driver, 'without --ssl-pin');
    },
  },
  'ssl-min-version': {
    // A peer that speaks TLS 1.2 at most fails with TLSv1.3 as the floor, and is served without it.
    async observe({ run, driver }) {
      const peer: TlsPeer = { maxVersion: 'TLSv1.2' };
      const withIt = await tlsRun(run, ['-v', '--ssl-min-version', 'TLSv1.3'], peer);
      assertRefused(withIt, driver, '--ssl-min-version TLSv1.3', /version|protocol/i);
      assert.equal(withIt.tls.secured, false, 'the TLS 1.2 peer finished no handshake');
      const without = await tlsRun(run, ['--ssl'], peer);
      assertDelivered(without, driver, 'without --ssl-min-version');
      assert.equal(without.tls.protocol, 'TLSv1.2');
    },
  },
};

/**
 * The ssl-cert and ssl-key cells of a mode are the same argv (the matrix gives each with the
 * other): one observation serves both.
 */
const certificateObservations = new Map<string, Promise<void>>();

function observeCertificateOnce(o: Parameters<Observer['observe']>[0]): Promise<void> {
  let observed = certificateObservations.get(o.mode.name);
  if (observed === undefined) {
    observed = observeCertificate(o);
    certificateObservations.set(o.mode.name, observed);
  }
  return observed;
}

/** --ssl-cert with --ssl-key: the certificate sockcat presents is the one named. */
async function observeCertificate({
  t,
  run,
  driver,
}: Parameters<Observer['observe']>[0]): Promise<void> {
  const certs = await certificatesFor(t);
  const connect = isConnect(driver);
  const name: CertName = connect ? 'client' : 'good';
  const files = certs.files(name);
  const peer: TlsPeer = connect ? { requestCert: true } : {};
  const withIt = await tlsRun(run, ['--ssl-cert', files.cert, '--ssl-key', files.key], peer);
  assertDelivered(withIt, driver, '--ssl-cert/--ssl-key');
  assert.equal(withIt.tls.certificate, fingerprintOfPem(certs[name].cert));
  const without = await tlsRun(run, ['--ssl'], peer);
  assertDelivered(without, driver, 'without --ssl-cert/--ssl-key');
  if (connect) assert.equal(without.tls.certificate, undefined, 'no client certificate');
  else assert.notEqual(without.tls.certificate, withIt.tls.certificate);
}
