// Drivers for the observed option × mode matrix (test/helpers/matrix-cells.ts) in the
// modes where sockcat serves rather than carries its stdin, all plain TCP/UDP: the HTTP proxy
// server (-l --proxy-type http), --forward (TCP and udp://), --js-exec and --lua-exec (an echo
// each), and -z (scan). The peers are real sockets on loopback port 0: the client here, and the
// origin that a proxy tunnel or a forward reaches.
import assert from 'node:assert/strict';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Driver,
  type Exchange,
  exchange,
  hangingPort,
  type JsonEvent,
  lineOrEnd,
  type Script,
  type Started,
  socketsOf,
  start,
  stopTurnedAway,
  tcpListenDriver,
  tempDir,
} from './matrix-drivers.js';
import { assertDelivered, eventsNamed, type Observer, okRun } from './matrix-observe.js';
import { freePort, portToListenOnLater, refusedPort } from './ports.js';

const HOST = '127.0.0.1';

/** sockcat's port, from the --json `listening` event (or -v's line when --json is under test). */
const LISTENING = /"event":"listening".*?"port":(\d+)|Listening on \S+:(\d+)/;

/**
 * What the origins here send back: `origin:` once, then every byte they got, so that a peer that
 * sees `origin:from-peer` knows its bytes went to the origin and back (not merely echoed).
 */
const ORIGIN_MARK = 'origin:';

interface TcpOrigin {
  port: number;
  /** Settles when the origin has its first bytes. */
  got: Promise<void>;
  /** Lets the origin answer (it holds its answer until then). */
  release(): void;
}

/**
 * The TCP origin. It can hold its answer: while the `ss` probe runs, no answer is in flight to
 * the client, whose delayed ACK would show the retransmit timer in place of keepalive's.
 */
async function tcpOrigin(t: TestContext, hold: boolean, port = 0, host = HOST): Promise<TcpOrigin> {
  let release = () => {};
  const released = hold ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  let gotFirst = () => {};
  const got = new Promise<void>((resolve) => (gotFirst = resolve));
  const server: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    t.after(() => socket.destroy());
    socket.on('error', () => {});
    let answer = released.then(() => {
      socket.write(ORIGIN_MARK);
    });
    socket.on('data', (chunk: Buffer) => {
      gotFirst();
      answer = answer.then(() => {
        socket.write(chunk);
      });
    });
    // End of file passes per direction: the origin answers the client's FIN with its own.
    socket.on('end', () => answer.then(() => socket.end()));
  });
  t.after(() => server.close());
  server.listen(port, host);
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, got, release };
}

async function udpOrigin(t: TestContext): Promise<number> {
  const origin = createSocket('udp4');
  t.after(() => origin.close());
  origin.on('message', (data: Buffer, from: { port: number; address: string }) => {
    origin.send(Buffer.concat([Buffer.from(ORIGIN_MARK), data]), from.port, from.address);
  });
  origin.bind(0, HOST);
  await once(origin, 'listening');
  return origin.address().port;
}

/**
 * The matrix's forward target placeholder (`127.0.0.1:9`, `udp://127.0.0.1:9`) aimed at `port`
 * (on `host` when it is another: `::1` for -6).
 */
function aimed(argv: readonly string[], port: number, host = HOST): string[] {
  const at = host === HOST ? '$1' : `$2${host.includes(':') ? `[${host}]` : host}`;
  return argv.map((word) => word.replace(/^((udp:\/\/)?127\.0\.0\.1):9$/, `${at}:${port}`));
}

/** Resolves once `ready()` holds after a chunk arrives on `socket`, or once `closed` settles. */
function until(socket: Socket, ready: () => boolean, closed: Promise<void>): Promise<void> {
  return Promise.race([
    new Promise<void>((resolve) => {
      const check = () => {
        if (!ready()) return;
        socket.off('data', check);
        resolve();
      };
      socket.on('data', check);
      check();
    }),
    closed,
  ]);
}

function collected(bytes: Buffer): Collector {
  const collector = new Collector();
  if (bytes.length > 0) collector.add(bytes);
  return collector;
}

/** What the listener printed as its port, or undefined when sockcat ended first. */
async function listeningPort(started: Started): Promise<number | undefined> {
  const listening = await lineOrEnd(started.child.stderr!, LISTENING);
  return listening === undefined ? undefined : Number(listening[1] ?? listening[2]);
}

/** 0 (no port) once sockcat listens on its Unix path, or undefined when sockcat ended first. */
async function pathListening(started: Started): Promise<number | undefined> {
  const listening = await lineOrEnd(started.child.stderr!, /"event":"listening"|Listening on \//);
  return listening === undefined ? undefined : 0;
}

/** A proxy server's exchange: `head` is its response to CONNECT, `received` what the tunnel carried. */
export interface ProxyExchange extends Exchange {
  head: string;
}

interface TcpServe {
  /** Send `CONNECT 127.0.0.1:ORIGIN` first (a proxy server), with these Basic credentials if any. */
  proxy: boolean;
  credentials?: string | undefined;
  /** sockcat serves until it is stopped (-k, and proxy servers): SIGTERM after the session. */
  keepOpen: boolean;
  /** sockcat listens on a Unix path in the run's directory (-U -l), not on a port. */
  unix?: boolean;
}

/**
 * A TCP client here against sockcat serving one session, with an origin behind it (a proxy's
 * CONNECT target, or the --forward target). The client sends its bytes and half-closes (once it
 * has them back when `probeSockets`), and reads to EOF; sockcat's stdin is closed at once, as
 * neither a proxy server nor a forward reads it.
 */
async function serveTcp(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
  script: Script,
  how: TcpServe,
): Promise<ProxyExchange> {
  const dir = tempDir(t, script.files);
  // The origin is where the script's peer would be (an IPv6 one for -6, which reaches no other).
  const originHost = script.peerAddress;
  const origin = await tcpOrigin(t, script.probeSockets, 0, originHost);
  const target = origin.port;
  const path = join(dir, 'sockcat.sock');
  const argv = cliArgv(
    aimed(option, target, originHost),
    aimed(mode, target, originHost),
    how.unix ? [path] : [script.host, '0'],
  );
  const started = start(t, argv, dir);
  const { child } = started;
  child.stdin!.end();
  const port = how.unix ? await pathListening(started) : await listeningPort(started);
  if (port === undefined)
    return { ...exchange(await started.done, new Collector(), dir, ''), head: '' };
  const client = (script.dial ?? createConnection)(
    how.unix ? { path, allowHalfOpen: true } : { host: script.host, port, allowHalfOpen: true },
  );
  t.after(() => client.destroy());
  client.on('error', () => {});
  // (events.once would reject on the 'error' of a reset: a reset is an outcome here.)
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const got = new Collector();
  client.on('data', (chunk: Buffer) => got.add(chunk));
  await Promise.race([once(client, 'connect').catch(() => {}), closed]);
  const headEnd = () => (how.proxy ? got.bytes.indexOf('\r\n\r\n') : -4);
  const tunnel = () => got.bytes.subarray(headEnd() + 4);
  let sockets = '';
  let open = !script.denied;
  if (script.denied) {
    client.end();
  } else if (how.proxy) {
    const auth =
      how.credentials === undefined
        ? ''
        : `Proxy-Authorization: Basic ${Buffer.from(how.credentials).toString('base64')}\r\n`;
    const to = `${originHost.includes(':') ? `[${originHost}]` : originHost}:${target}`;
    client.write(`CONNECT ${to} HTTP/1.1\r\nHost: ${to}\r\n${auth}\r\n`);
    await until(client, () => headEnd() >= 0, closed);
    open = /^HTTP\/1\.[01] 200 /.test(got.bytes.toString('latin1'));
    if (!open) client.end();
  }
  if (open && script.idlePeer) {
    // Nothing is sent: the client closes once sockcat has closed the idle session.
    client.on('end', () => client.end());
  } else if (open) {
    client.write(script.peerSends);
    if (script.probeSockets) {
      // Probe once the client's bytes are at the origin, before the origin answers.
      await Promise.race([origin.got, closed]);
      sockets = await socketsOf(child.pid!, 'tcp');
      origin.release();
    }
    client.end();
  }
  await closed;
  if (script.turnedAway?.()) await stopTurnedAway(started, option);
  else if ((how.keepOpen || script.denied) && child.exitCode === null) {
    await lineOrEnd(child.stderr!, script.denied ? /"event":"denied"/ : /"event":"closed"/);
    child.kill('SIGTERM');
  }
  const result = await started.done;
  const head = how.proxy ? got.bytes.subarray(0, Math.max(headEnd(), 0)).toString('latin1') : '';
  const body = how.proxy ? (headEnd() >= 0 ? tunnel() : Buffer.alloc(0)) : got.bytes;
  return {
    ...exchange(result, collected(body), dir, sockets),
    head,
  };
}

export function proxyServerDriver(): Driver & {
  serve(
    t: TestContext,
    option: readonly string[],
    mode: readonly string[],
    credentials?: string,
  ): Promise<ProxyExchange>;
} {
  return {
    name: 'http proxy server',
    // What the client sends comes back from the origin through the tunnel.
    echoes: true,
    run: (t, option, mode, partial = {}) =>
      serveTcp(t, option, mode, { ...DEFAULT_SCRIPT, ...partial }, { proxy: true, keepOpen: true }),
    serve: (t, option, mode, credentials) =>
      serveTcp(t, option, mode, DEFAULT_SCRIPT, { proxy: true, keepOpen: true, credentials }),
    observers: {
      'max-conns': maxConns(true),
      wait: {
        // -w bounds a client's request head: one left unfinished gets 400 after it, well before
        // the 10 s default.
        async observe({ t, mode }) {
          const dir = tempDir(t, {});
          const started = start(t, cliArgv(['-w', '300ms'], mode.argv, [HOST, '0']), dir);
          started.child.stdin!.end();
          const port = await listeningPort(started);
          assert.ok(port !== undefined, 'sockcat listens');
          const client = clientOf(t, port);
          await once(client.socket, 'connect');
          const began = performance.now();
          client.socket.write(`CONNECT ${HOST}:1 HTTP/1.1\r\n`);
          await until(client.socket, () => client.got.bytes.includes('\r\n\r\n'), client.closed);
          const took = performance.now() - began;
          client.socket.end();
          await client.closed;
          await lineOrEnd(started.child.stderr!, /"event":"closed"/);
          started.child.kill('SIGTERM');
          okRun(exchange(await started.done, client.got, dir, ''), '-w');
          assert.match(client.got.bytes.toString(), /^HTTP\/1\.0 400 /);
          assert.ok(took >= 300 && took < 10_000, `answered after ${took} ms`);
        },
      },
      'proxy-type': {
        // `--proxy-type http` with -l is what makes the proxy server: it answers and tunnels.
        async observe({ run, driver, argv }) {
          const withIt = (await run()) as ProxyExchange;
          assertDelivered(withIt, driver, argv.join(' '));
          assert.match(withIt.head, /^HTTP\/1\.0 200 OK/);
          assert.match(withIt.received.toString(), /^origin:from-peer/);
        },
      },
      'proxy-auth': {
        async observe({ t, mode, argv }) {
          const [user, password] = argv[1]!.split(':') as [string, string];
          const without = await PROXY.serve(t, argv, mode.argv);
          okRun(without, 'CONNECT without credentials');
          assert.match(without.head, /^HTTP\/1\.[01] 407 /, without.head);
          assert.equal(without.received.length, 0, 'no tunnel without credentials');
          const wrong = await PROXY.serve(t, argv, mode.argv, `${user}:not-${password}`);
          assert.match(wrong.head, /^HTTP\/1\.[01] 407 /, wrong.head);
          const right = await PROXY.serve(t, argv, mode.argv, `${user}:${password}`);
          okRun(right, 'CONNECT with the credentials');
          assert.match(right.head, /^HTTP\/1\.0 200 /, right.head);
          assert.match(right.received.toString(), /^origin:from-peer/);
        },
      },
    },
  };
}

const PROXY = proxyServerDriver();

/** A TCP client of sockcat's, with everything it got; for the runs with more than one client. */
interface Client {
  socket: Socket;
  got: Collector;
  closed: Promise<void>;
}

function clientOf(t: TestContext, port: number): Client {
  const socket = createConnection({ host: HOST, port, allowHalfOpen: true });
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  const got = new Collector();
  socket.on('data', (chunk: Buffer) => got.add(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, got, closed };
}

/** The client asks for a tunnel to the origin (a proxy) or not (a forward), sends `line` and
 * resolves once it has the origin's answer, or once sockcat closed it. */
async function opens(client: Client, origin: number, proxy: boolean, line: string): Promise<void> {
  if (proxy) {
    client.socket.write(`CONNECT ${HOST}:${origin} HTTP/1.1\r\n\r\n`);
    await until(client.socket, () => client.got.bytes.includes('\r\n\r\n'), client.closed);
    // A refusal (503 past -m) is the outcome: no tunnel to send through.
    if (!/^HTTP\/1\.0 200 /.test(client.got.bytes.toString('latin1'))) return;
  }
  client.socket.write(line);
  await until(
    client.socket,
    () => client.got.bytes.includes(`${ORIGIN_MARK}${line}`),
    client.closed,
  );
}

/**
 * Two clients at once: the first one's session is up and held while the second one comes; then
 * both close and sockcat is stopped. For -m: what did the second one get?
 */
async function twoClients(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
  proxy: boolean,
): Promise<{ run: Exchange; first: string; second: string }> {
  const dir = tempDir(t, {});
  const origin = (await tcpOrigin(t, false)).port;
  const started = start(t, cliArgv(aimed(option, origin), aimed(mode, origin), [HOST, '0']), dir);
  started.child.stdin!.end();
  const port = await listeningPort(started);
  assert.ok(port !== undefined, 'sockcat listens');
  const first = clientOf(t, port);
  await opens(first, origin, proxy, 'first\n');
  const second = clientOf(t, port);
  await opens(second, origin, proxy, 'second\n');
  second.socket.end();
  await second.closed;
  first.socket.end();
  await first.closed;
  await lineOrEnd(started.child.stderr!, /"event":"closed","id":1,/);
  started.child.kill('SIGTERM');
  const run = exchange(await started.done, new Collector(), dir, '');
  return { run, first: first.got.bytes.toString(), second: second.got.bytes.toString() };
}

/** -m 1: the second client at once is turned away (a proxy: 503), and served without it. */
function maxConns(proxy: boolean): Observer {
  return {
    async observe({ t, mode }) {
      const withIt = await twoClients(t, ['-m', '1'], mode.argv, proxy);
      okRun(withIt.run, '-m 1');
      assert.match(withIt.first, /origin:first\n$/);
      assert.doesNotMatch(withIt.second, /origin:/, 'the second client got no session');
      if (proxy) assert.match(withIt.second, /^HTTP\/1\.0 503 /);
      else assert.equal(eventsNamed(withIt.run, 'denied')[0]?.['reason'], 'max-conns');
      const without = await twoClients(t, [], mode.argv, proxy);
      assert.match(without.second, /origin:second\n$/, 'without -m both are served');
    },
  };
}

/** Milliseconds between two --json events' times. */
function between(from: JsonEvent | undefined, to: JsonEvent | undefined): number {
  return Date.parse(String(to?.['time'])) - Date.parse(String(from?.['time']));
}

/**
 * A forward whose target refuses at first: sockcat's first attempt fails, and the target starts
 * listening (on a port held for it) once sockcat said so. The client sends its bytes and
 * half-closes; with a retry it gets the origin's answer, without one it is reset.
 */
async function retried(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
): Promise<Exchange> {
  const dir = tempDir(t, {});
  const held = await portToListenOnLater();
  const started = start(t, cliArgv(aimed(option, held), aimed(mode, held), [HOST, '0']), dir);
  started.child.stdin!.end();
  const port = await listeningPort(started);
  assert.ok(port !== undefined, 'sockcat listens');
  const client = clientOf(t, port);
  client.socket.end('from-peer\n');
  await lineOrEnd(started.child.stderr!, /"event":"connect-failed"/);
  await tcpOrigin(t, false, held);
  await client.closed;
  await lineOrEnd(started.child.stderr!, /"event":"closed"/);
  started.child.kill('SIGTERM');
  return exchange(await started.done, client.got, dir, '');
}

/** --retry, --retry-forever: the target that refused at first is reached on the next attempt. */
function retries(extra: readonly string[]): Observer {
  return {
    async observe({ t, mode, argv }) {
      // A short delay keeps the run fast (the default is 1 s; --retry-delay is observed apart).
      const withIt = await retried(t, [...argv, ...extra], mode.argv);
      okRun(withIt, argv.join(' '));
      assert.equal(withIt.received.toString(), 'origin:from-peer\n');
      const upstream = eventsNamed(withIt, 'connected-upstream');
      assert.deepEqual(
        upstream.map((event) => event['attempt']),
        [2],
        withIt.stderr,
      );
      const without = await retried(t, [], mode.argv);
      assert.equal(without.received.length, 0, 'without a retry the client is reset');
      assert.equal(eventsNamed(without, 'connected-upstream').length, 0);
    },
  };
}

/** --forward to the TCP origin from a Unix listener (-U -l, -U -l -k). */
export function unixForwardDriver(keepOpen: boolean): Driver {
  return {
    name: `unix forward${keepOpen ? ' -k' : ''}`,
    echoes: true,
    run: (t, option, mode, partial = {}) =>
      serveTcp(
        t,
        option,
        mode,
        { ...DEFAULT_SCRIPT, ...partial },
        { proxy: false, keepOpen, unix: true },
      ),
  };
}

export function tcpForwardDriver(keepOpen: boolean): Driver {
  return {
    name: `tcp forward${keepOpen ? ' -k' : ''}`,
    echoes: true,
    run: (t, option, mode, partial = {}) =>
      serveTcp(t, option, mode, { ...DEFAULT_SCRIPT, ...partial }, { proxy: false, keepOpen }),
    observers: {
      'max-conns': maxConns(false),
      retry: retries(['--retry-delay', '100ms']),
      'retry-forever': retries(['--retry-delay', '100ms']),
      'retry-delay': {
        // The wait before the retry is the delay given, not the 1 s default.
        async observe({ t, mode }) {
          const withIt = await retried(t, ['--retry-delay', '300ms', '--retry', '1'], mode.argv);
          okRun(withIt, '--retry-delay');
          assert.equal(withIt.received.toString(), 'origin:from-peer\n');
          const [failed] = eventsNamed(withIt, 'connect-failed');
          assert.equal(failed?.['retryIn'], 300, withIt.stderr);
          const waited = between(failed, eventsNamed(withIt, 'connected-upstream')[0]);
          assert.ok(waited >= 300 && waited < 1000, `retried after ${waited} ms`);
        },
      },
      wait: {
        // -w bounds each attempt to reach the target: one that hangs fails after it, well before
        // the 10 s default.
        async observe({ t, mode }) {
          const hanging = await hangingPort(t);
          if (hanging === undefined) return t.skip('no native addon');
          const dir = tempDir(t, {});
          const argv = cliArgv(['-w', '300ms'], aimed(mode.argv, hanging), [HOST, '0']);
          const started = start(t, argv, dir);
          started.child.stdin!.end();
          const port = await listeningPort(started);
          assert.ok(port !== undefined, 'sockcat listens');
          const client = clientOf(t, port);
          client.socket.end('from-peer\n');
          await client.closed;
          await lineOrEnd(started.child.stderr!, /"event":"closed"/);
          started.child.kill('SIGTERM');
          const run = exchange(await started.done, client.got, dir, '');
          okRun(run, '-w');
          assert.equal(run.received.length, 0);
          const [accepted] = eventsNamed(run, 'accepted');
          const [failed] = eventsNamed(run, 'connect-failed');
          assert.ok(failed !== undefined, run.stderr);
          const waited = between(accepted, failed);
          assert.ok(waited >= 300 && waited < 10_000, `gave up after ${waited} ms`);
        },
      },
    },
  };
}

/**
 * `-u -l -k --forward udp://…`: a datagram client here sends its bytes to sockcat, whose session
 * relays them to the UDP origin and its answer back; sockcat is stopped once the answer is in.
 * A UDP session only begins with a datagram, so an idle peer sends its one datagram and then
 * nothing, until sockcat has ended the session.
 */
function udpForwardDriver(): Driver {
  return {
    name: 'udp forward',
    echoes: true,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const origin = await udpOrigin(t);
      const argv = cliArgv(aimed(option, origin), aimed(mode, origin), [script.host, '0']);
      const started = start(t, argv, dir);
      const { child } = started;
      child.stdin!.end();
      const port = await listeningPort(started);
      const received = new Collector();
      if (port === undefined) return exchange(await started.done, received, dir, '');
      const client: DatagramSocket = createSocket('udp4');
      t.after(() => client.close());
      const answered = new Promise<void>((resolve) => {
        client.on('message', (data: Buffer) => {
          received.add(data);
          if (received.bytes.includes(`${ORIGIN_MARK}${script.peerSends}`)) resolve();
        });
      });
      client.send(script.peerSends, port, script.host);
      const ended = started.done.then(() => undefined);
      if (script.denied) {
        await lineOrEnd(child.stderr!, /"event":"denied"/);
      } else {
        await Promise.race([answered, ended]);
        if (script.idlePeer) await lineOrEnd(child.stderr!, /"event":"closed"/);
      }
      child.kill('SIGTERM');
      return exchange(await started.done, received, dir, '');
    },
    observers: {
      // -m 1: a second peer's datagrams are dropped while the first one's session lasts.
      'max-conns': {
        async observe({ t, mode }) {
          const withIt = await twoPeers(t, ['-m', '1'], mode.argv);
          okRun(withIt.run, '-m 1');
          assert.deepEqual(withIt.answers, ['origin:first\n', '']);
          assert.ok(eventsNamed(withIt.run, 'denied').length > 0, withIt.run.stderr);
          const without = await twoPeers(t, [], mode.argv);
          assert.deepEqual(without.answers, ['origin:first\n', 'origin:second\n']);
        },
      },
    },
  };
}

/** Two UDP peers, one after the other, each sending a line: what each got back. */
async function twoPeers(
  t: TestContext,
  option: readonly string[],
  mode: readonly string[],
): Promise<{ run: Exchange; answers: [string, string] }> {
  const dir = tempDir(t, {});
  const origin = await udpOrigin(t);
  const started = start(t, cliArgv(aimed(option, origin), aimed(mode, origin), [HOST, '0']), dir);
  started.child.stdin!.end();
  const port = await listeningPort(started);
  assert.ok(port !== undefined, 'sockcat listens');
  const answers: [string, string] = ['', ''];
  for (const [i, line] of ['first\n', 'second\n'].entries()) {
    const peer = createSocket('udp4');
    t.after(() => peer.close());
    const answered = new Promise<void>((resolve) =>
      peer.on('message', (data: Buffer) => {
        answers[i] += data.toString();
        resolve();
      }),
    );
    peer.send(line, port, HOST);
    // The second peer is answered or turned away (a `denied` event); the first one is answered.
    const turnedAway =
      i === 0 ? new Promise<void>(() => {}) : lineOrEnd(started.child.stderr!, /"event":"denied"/);
    await Promise.race([answered, turnedAway, started.done]);
  }
  started.child.kill('SIGTERM');
  return { run: exchange(await started.done, new Collector(), dir, ''), answers };
}

/** The handlers the matrix's --js-exec and --lua-exec modes name: each echoes the connection. */
export const HANDLERS: Readonly<Record<string, string>> = {
  'handler.mjs': `// Echoes the connection until its end (docs/cli.md, --js-exec).
export default async function (tube) {
  for await (const chunk of tube) await tube.send(chunk);
}
`,
  'script.lua': `-- Echoes the connection a byte at a time until its end (docs/cli.md, --lua-exec).
while true do
  local byte = io.read(1)
  if byte == nil then break end
  io.write(byte)
  io.stdout:flush()
end
`,
};

/** A TCP listen driver (an echo, as -l -e cat is) with the handler files in the CLI's directory. */
function handlerDriver(kind: 'js-exec' | 'lua-exec', keepOpen: boolean): Driver {
  return withHandlers(tcpListenDriver({ keepOpen, echoes: true }), kind);
}

/** An echoing driver (-e cat's) made a --js-exec or --lua-exec one: the handlers in its directory. */
export function withHandlers<D extends Driver>(base: D, kind: 'js-exec' | 'lua-exec'): D {
  const driver: D = {
    ...base,
    name: `${base.name} --${kind}`,
    run: (t, option, mode, partial = {}) =>
      base.run(t, option, mode, { ...partial, files: { ...HANDLERS, ...partial.files } }),
  };
  if (kind === 'js-exec') return driver;
  return {
    ...driver,
    observers: {
      ...base.observers,
      // -C turns the LFs the script writes into CRLFs, as it does for an -e child's output.
      crlf: {
        async observe({ run, baseline }) {
          const [withIt, without] = [await run(), await baseline()];
          okRun(withIt, '-C');
          assert.equal(withIt.received.toString(), 'from-peer\r\n');
          assert.equal(without.received.toString(), 'from-peer\n');
        },
      },
    },
  };
}

/** One connection (TCP) or datagram (UDP) a -z probe made to the peer here. */
interface Probe {
  address: string;
  port: number;
  bytes: Buffer;
}

interface ScanExchange extends Exchange {
  /** The peer's port (the scanned open one). */
  open: number;
  probes: Probe[];
}

interface ScanPlan {
  /** The ports to scan, the peer's being `open`; by default the peer's port alone. */
  ports?(open: number): Promise<string>;
}

/**
 * -z: the peer is a listener here (TCP) or a bound datagram socket (UDP), recording what each
 * probe brought; sockcat scans it (and other ports the plan adds) and exits by itself.
 */
function scanDriver(udp: boolean): Driver & {
  scan(
    t: TestContext,
    option: readonly string[],
    mode: readonly string[],
    plan: ScanPlan,
    partial?: Partial<Script>,
  ): Promise<ScanExchange>;
} {
  async function scan(
    t: TestContext,
    option: readonly string[],
    mode: readonly string[],
    plan: ScanPlan,
    partial: Partial<Script> = {},
  ): Promise<ScanExchange> {
    const script = { ...DEFAULT_SCRIPT, ...partial };
    const dir = tempDir(t, script.files);
    const probes: Probe[] = [];
    let open: number;
    let probed: Promise<void>;
    if (udp) {
      const peer = createSocket('udp4');
      t.after(() => peer.close());
      probed = new Promise<void>((resolve) => {
        peer.on('message', (bytes: Buffer, from: { address: string; port: number }) => {
          probes.push({ address: from.address, port: from.port, bytes });
          // A datagram back is what makes a UDP port "open" (not merely open|filtered).
          peer.send('answer', from.port, from.address);
          resolve();
        });
      });
      peer.bind(0, HOST);
      await once(peer, 'listening');
      open = peer.address().port;
    } else {
      const server: Server = createServer();
      t.after(() => server.close());
      probed = new Promise<void>((resolve) => {
        server.on('connection', (socket: Socket) => {
          t.after(() => socket.destroy());
          const probe = {
            address: socket.remoteAddress!,
            port: socket.remotePort!,
            bytes: Buffer.alloc(0),
          };
          probes.push(probe);
          socket.on('error', () => {});
          socket.on('data', (chunk: Buffer) => {
            probe.bytes = Buffer.concat([probe.bytes, chunk]);
          });
          socket.on('close', () => resolve());
        });
      });
      server.listen(0, script.peerAddress);
      await once(server, 'listening');
      open = (server.address() as { port: number }).port;
    }
    const ports = plan.ports === undefined ? String(open) : await plan.ports(open);
    const started = start(t, cliArgv(option, mode, [script.host, ports]), dir);
    started.child.stdin!.end();
    const result = await started.done;
    // A probe's close can reach the peer after sockcat has exited: wait for it when it came.
    if (result.code === 0 && ports.split(',').includes(String(open))) await probed;
    return { ...exchange(result, new Collector(), dir, ''), open, probes };
  }
  const driver = {
    name: udp ? 'udp scan' : 'tcp scan',
    echoes: false,
    // Whatever another family observes for these would assume a session both ways (the TCP scan
    // has its own -4 and -6 below; its peer listens at the script's peer address).
    unsuited: udp ? ['ipv4', 'ipv6'] : [],
    run: (
      t: TestContext,
      option: readonly string[],
      mode: readonly string[],
      partial?: Partial<Script>,
    ) => scan(t, option, mode, {}, partial),
    scan,
  };
  const openScanned = (run: ScanExchange, what: string) => {
    assert.equal(run.code, 0, `${what}: exit ${run.code}: ${run.stderr}`);
    assert.ok(run.probes.length > 0, `${what}: the peer was probed`);
    assert.ok(
      run.probes.every((probe) => probe.bytes.length === (udp ? 1 : 0)),
      `${what}: a probe carries no data (UDP: one byte)`,
    );
  };
  const refusedPortFor = async (t: TestContext): Promise<number> => {
    if (!udp) return refusedPort();
    // A datagram socket connected elsewhere takes none from other senders: the kernel answers
    // them with ICMP port unreachable, and the port stays held, so nothing else can answer.
    const held = createSocket('udp4');
    t.after(() => held.close());
    held.bind(0, HOST);
    await once(held, 'listening');
    held.connect(held.address().port, HOST);
    await once(held, 'connect');
    return held.address().port;
  };
  /** -4 and -6: the peer on an address of the family is scanned open; one of the other refused. */
  const scanFamily = (flag: string, own: string, other: string): Observer => ({
    async observe({ run }) {
      const withIt = (await run([flag], { host: own, peerAddress: own })) as ScanExchange;
      openScanned(withIt, flag);
      assert.deepEqual(
        eventsNamed(withIt, 'scan').map((event) => event['state']),
        ['open'],
      );
      assert.deepEqual(
        withIt.probes.map((probe) => probe.address),
        [own],
      );
      const refused = (await run([flag], { host: other, peerAddress: other })) as ScanExchange;
      assert.notEqual(refused.code, 0, `${flag} with ${other}: ${refused.stderr}`);
      assert.equal(refused.probes.length, 0);
      const without = (await run([], { host: other, peerAddress: other })) as ScanExchange;
      openScanned(without, `${other} without ${flag}`);
    },
  });
  /** -z (or -u with -z): 0 for the peer's open port; 1 for a refused one. */
  const zero: Observer = {
    async observe({ t, run, mode, argv }) {
      const withIt = (await run()) as ScanExchange;
      openScanned(withIt, argv.join(' '));
      const states = eventsNamed(withIt, 'scan').map((event) => event['state']);
      assert.deepEqual(states, ['open'], withIt.stderr);
      const closed = await scan(t, argv, mode.argv, {
        ports: async () => String(await refusedPortFor(t)),
      });
      assert.equal(closed.code, 1, `a refused port: exit ${closed.code}: ${closed.stderr}`);
      assert.equal(closed.probes.length, 0);
    },
  };
  return {
    ...driver,
    observers: {
      zero,
      udp: zero,
      ipv4: scanFamily('-4', '127.0.0.1', '::1'),
      ipv6: scanFamily('-6', '::1', '127.0.0.1'),
      json: {
        async observe({ run, argv }) {
          const withIt = (await run()) as ScanExchange;
          openScanned(withIt, argv.join(' '));
          const [event] = eventsNamed(withIt, 'scan');
          assert.equal(event?.['port'], withIt.open, withIt.stderr);
          assert.equal(event?.['state'], 'open');
        },
      },
      verbose: {
        async observe({ run, baseline }) {
          const [withIt, without] = [(await run()) as ScanExchange, await baseline()];
          openScanned(withIt, '-v');
          assert.ok(eventsNamed(withIt, 'log').length > 0, `-v logs: ${withIt.stderr}`);
          assert.equal(eventsNamed(without, 'log').length, 0, without.stderr);
        },
      },
      dialect: {
        async observe({ run, baseline }) {
          const [withIt, without] = [
            (await run()) as ScanExchange,
            (await baseline()) as ScanExchange,
          ];
          openScanned(withIt, '--dialect ncat');
          assert.deepEqual(
            [withIt.code, withIt.stdout, eventsNamed(withIt, 'scan').map((e) => e['state'])],
            [without.code, without.stdout, eventsNamed(without, 'scan').map((e) => e['state'])],
          );
        },
      },
      nodns: {
        async observe({ run }) {
          const withIt = await run(['-n'], { host: 'localhost' });
          assert.equal(withIt.code, 2, withIt.stderr);
          assert.match(withIt.stderr, /name resolution is disabled \(-n\)/);
          const without = (await run([], { host: 'localhost' })) as ScanExchange;
          assert.equal(without.code === 0 || without.code === 1, true, without.stderr);
          assert.doesNotMatch(without.stderr, /name resolution is disabled/);
        },
      },
      source: {
        // The peer listens on 127.0.0.1 and sees 127.0.0.1 as the source unless -s says otherwise.
        async observe({ run, baseline }) {
          const withIt = (await run(['-s', '127.0.0.2'])) as ScanExchange;
          openScanned(withIt, '-s');
          assert.deepEqual(
            withIt.probes.map((probe) => probe.address),
            ['127.0.0.2'],
          );
          const without = (await baseline()) as ScanExchange;
          assert.deepEqual(
            without.probes.map((probe) => probe.address),
            ['127.0.0.1'],
          );
        },
      },
      'source-port': {
        async observe({ run }) {
          const port = await freePort();
          const withIt = (await run(['-p', String(port)])) as ScanExchange;
          openScanned(withIt, '-p');
          assert.deepEqual(
            withIt.probes.map((probe) => probe.port),
            [port],
          );
        },
      },
      ...(udp
        ? {}
        : {
            wait: {
              // -w is the per-port timeout: a probe that does not complete is "filtered" after it,
              // well before the 10 s default would have ended it.
              async observe({ t, mode }) {
                const hanging = await hangingPort(t);
                if (hanging === undefined) return t.skip('no native addon');
                const began = performance.now();
                const withIt = await scan(t, ['-w', '300ms'], mode.argv, {
                  ports: async () => String(hanging),
                });
                const took = performance.now() - began;
                assert.equal(withIt.code, 1, withIt.stderr);
                const states = eventsNamed(withIt, 'scan').map((event) => event['state']);
                assert.deepEqual(states, ['filtered'], withIt.stderr);
                assert.ok(took >= 300 && took < 10_000, `took ${took} ms`);
              },
            },
            'scan-concurrency': {
              // N ports that hang until -w, then the peer's open port: probing N at once, the open
              // port waits for a hanging one's timeout; by default (100 at once) it answers first.
              async observe({ t, mode, argv }) {
                const limit = Number(argv[1]);
                const hanging: number[] = [];
                for (let i = 0; i < limit; i++) {
                  const port = await hangingPort(t);
                  if (port === undefined) return t.skip('no native addon');
                  hanging.push(port);
                }
                const plan = { ports: async (open: number) => [...hanging, open].join(',') };
                const order = (run: ScanExchange) =>
                  eventsNamed(run, 'scan').map((event) =>
                    event['port'] === run.open ? 'open' : String(event['state']),
                  );
                const withIt = await scan(t, [...argv, '-w', '300ms'], mode.argv, plan);
                okRun(withIt, argv.join(' '));
                const without = await scan(t, ['-w', '300ms'], mode.argv, plan);
                // (The hanging probes time out together: only which comes first is certain.)
                assert.equal(order(withIt)[0], 'filtered', withIt.stderr);
                assert.ok(order(withIt).includes('open'), withIt.stderr);
                assert.equal(order(without)[0], 'open', without.stderr);
                assert.equal(order(without).length, limit + 1, without.stderr);
              },
            },
          }),
    },
  };
}

const DRIVERS = {
  proxy: PROXY,
  forward: tcpForwardDriver(false),
  forwardKeepOpen: tcpForwardDriver(true),
  udpForward: udpForwardDriver(),
  jsExec: handlerDriver('js-exec', false),
  jsExecKeepOpen: handlerDriver('js-exec', true),
  luaExec: handlerDriver('lua-exec', false),
  luaExecKeepOpen: handlerDriver('lua-exec', true),
  scan: scanDriver(false),
  udpScan: scanDriver(true),
};

/** The serving modes over plain TCP and UDP: proxy server, --forward, --js-exec, --lua-exec, -z. */
export function chooseServe(layers: Layers, options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security !== 'plain') return undefined;
  const keepOpen = multiplicity === 'keep-open';
  if (multiplicity !== 'once' && !keepOpen) return undefined;
  if (io === 'scan') {
    if (transport === 'tcp') return DRIVERS.scan;
    return transport === 'udp' ? DRIVERS.udpScan : undefined;
  }
  if (role !== 'listen') return undefined;
  if (io === 'proxy-server') {
    return transport === 'tcp' && options.proxyServer === 'http' ? DRIVERS.proxy : undefined;
  }
  if (io === 'forward') {
    const target = options.forward;
    if (transport === 'tcp' && target?.kind === 'tcp' && !target.tls) {
      return keepOpen ? DRIVERS.forwardKeepOpen : DRIVERS.forward;
    }
    if (transport === 'udp' && keepOpen && target?.kind === 'udp') return DRIVERS.udpForward;
    return undefined;
  }
  if (transport !== 'tcp') return undefined;
  if (io === 'js-exec') return keepOpen ? DRIVERS.jsExecKeepOpen : DRIVERS.jsExec;
  if (io === 'lua-exec') return keepOpen ? DRIVERS.luaExecKeepOpen : DRIVERS.luaExec;
  return undefined;
}

/** Through a proxy tunnel or a forward, the answer is the origin's; with a handler, the echo. */
const servesThrough: Observer = {
  async observe({ run, driver, argv }) {
    const withIt = await run();
    assertDelivered(withIt, driver, argv.join(' '));
    const viaOrigin = driver.name.includes('forward') || driver === DRIVERS.proxy;
    assert.equal(withIt.received.toString(), viaOrigin ? 'origin:from-peer\n' : 'from-peer\n');
  },
};

export const SERVE_OBSERVERS: Readonly<Record<string, Observer>> = {
  forward: servesThrough,
  'js-exec': servesThrough,
  'lua-exec': servesThrough,
};
