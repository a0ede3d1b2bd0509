// The broker, chat and WebSocket drivers of the observed option x mode matrix
// (test/helpers/matrix-cells.ts), and the observers of their own options. They follow
// matrix-drivers.ts's contract so that the core observers read their exchanges the same way.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
} from 'node:http';
import { createConnection, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { type ClientOptions, WebSocket, WebSocketServer } from 'ws';
import type { Layers } from '../../src/cli/layers.js';
import type { Options } from '../../src/cli/options.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Dial,
  type Driver,
  type Exchange,
  exchange,
  hangingPort,
  holds,
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
import { portToListenOnLater } from './ports.js';

/** One WebSocket message as the peer got it. */
export interface Frame {
  binary: boolean;
  data: Buffer;
}

/** What the WebSocket and broker drivers report beyond the core exchange. */
export interface FamilyExchange extends Exchange {
  /** WebSocket: each message the peer got (for a broker: client B). */
  frames: Frame[];
  /** WebSocket: milliseconds from the peer's open to each ping it got. */
  pings: number[];
  /** WebSocket: the close code the peer saw. */
  closeCode: number | undefined;
  /** WebSocket listen: the HTTP status of an upgrade sockcat turned away. */
  refused: number | undefined;
  /** Broker: what client A (the one that sends) got. */
  sender: Buffer;
  /** Broker: sockcat's own stdout (the exchange's `stdout` is what the relay gave client B). */
  cliStdout: Buffer;
}

/** Script knobs of these drivers beyond the core ones. */
export interface FamilyScript extends Script {
  /** WebSocket listen: the path the client asks for (default: --ws-path's, or "/"). */
  path: string;
  /** WebSocket: the session stays up (stdin open, the peer in) until the peer got a ping. */
  untilPing: boolean;
  /** WebSocket: neither stdin's end nor the peer ends the session: sockcat has to (-i, a limit). */
  sockcatCloses: boolean;
}

const LISTENING = /"event":"listening".*?"port":(\d+)|Listening on \S+:(\d+)/;

function running(started: Started): boolean {
  return started.child.exitCode === null && started.child.signalCode === null;
}

function familyExchange(
  base: Exchange,
  extra: Partial<Omit<FamilyExchange, keyof Exchange>> = {},
): FamilyExchange {
  return {
    ...base,
    frames: [],
    pings: [],
    closeCode: undefined,
    refused: undefined,
    sender: Buffer.alloc(0),
    cliStdout: base.stdout,
    ...extra,
  };
}

/**
 * The CLI's TCP sockets once nothing it sent is waiting for an ACK: ss shows one timer per socket,
 * and the retransmit timer of a frame the peer has not acked yet (delayed ACKs, up to 40 ms on
 * loopback) hides the keepalive one. Bounded by a number of probes, not by time.
 */
async function settledSocketsOf(pid: number): Promise<string> {
  let lines = await socketsOf(pid, 'tcp');
  for (let probe = 0; probe < 200 && /unacked:/.test(lines); probe++) {
    lines = await socketsOf(pid, 'tcp');
  }
  return lines;
}

/** The last line of what stdin carries: with --ws-lines, messages lose their newlines. */
function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)!;
}

function wsPathOf(option: readonly string[]): string {
  const at = option.indexOf('--ws-path');
  return at >= 0 ? option[at + 1]! : '/';
}

/** A broker's client: TCP, or WebSocket with binary messages. */
interface Client {
  data: Collector;
  frames: Frame[];
  emitter: NodeJS.EventEmitter;
  /** True once connected (false: it closed first). */
  opened: Promise<boolean>;
  closed: Promise<void>;
  send(text: string): void;
  /** TCP: FIN; WebSocket: Close 1000. */
  end(): void;
}

function tcpClient(t: TestContext, host: string, port: number, dial: Dial | undefined): Client {
  const data = new Collector();
  const socket = (dial ?? createConnection)({ host, port });
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => data.add(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    data,
    frames: [],
    emitter: socket,
    opened: Promise.race([
      once(socket, 'connect').then(
        () => true,
        () => false,
      ),
      closed.then(() => false),
    ]),
    closed,
    send: (text) => socket.write(text),
    end: () => socket.end(),
  };
}

function wsClient(t: TestContext, url: string): Client {
  const data = new Collector();
  const frames: Frame[] = [];
  const ws = new WebSocket(url);
  t.after(() => ws.terminate());
  ws.on('error', () => {});
  ws.on('message', (chunk: Buffer, binary: boolean) => {
    frames.push({ binary, data: chunk });
    data.add(chunk);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return {
    data,
    frames,
    emitter: ws,
    opened: Promise.race([
      once(ws, 'open').then(
        () => true,
        () => false,
      ),
      closed.then(() => false),
    ]),
    closed,
    send: (text) => ws.send(Buffer.from(text)),
    end: () => ws.close(1000),
  };
}

/** Chat's own lines (joins and leaves), which no client sent. */
function withoutAnnouncements(bytes: Buffer): Buffer {
  const lines = bytes.toString('latin1').split(/(?<=\n)/);
  return Buffer.from(lines.filter((line) => !line.startsWith('<announce>')).join(''), 'latin1');
}

/**
 * --broker / --chat (TCP, or WebSocket clients with --websocket): sockcat listens; clients A and
 * B connect and are accepted; stdin's line is written and reaches both; then A sends its bytes
 * and half-closes, and once sockcat has closed A (so A's bytes were relayed), B closes too and
 * sockcat is stopped with SIGTERM (a broker never ends by itself). The exchange maps the broker
 * onto the core observers' view: `received` is all client B got, `stdout` is what the relay gave
 * B after stdin's line (A's bytes; chat's announcements left out), `cliStdout` sockcat's stdout.
 */
export function brokerDriver({ chat = false, websocket = false } = {}): Driver {
  return {
    name: `${chat ? 'chat' : 'broker'}${websocket ? ', websocket' : ''}`,
    echoes: false,
    // A broker with --recv-only sends nothing to any client and prints nothing: no peer can see
    // what it received (the core observation expects it on stdout).
    unsuited: ['recv-only'],
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial } as FamilyScript;
      const dir = tempDir(t, script.files);
      const started = start(t, cliArgv(option, mode, [script.host, '0']), dir);
      const { child } = started;
      const stderr = child.stderr!;
      const listening = await lineOrEnd(stderr, LISTENING);
      if (listening === undefined)
        return familyExchange(exchange(await started.done, new Collector(), dir, ''));
      const port = Number(listening[1] ?? listening[2]);
      const connect = () =>
        websocket
          ? wsClient(t, `ws://${script.host}:${port}/`)
          : tcpClient(t, script.host, port, script.dial);
      const a = connect();
      if (script.denied) {
        await lineOrEnd(stderr, /"event":"denied"/);
        child.kill('SIGTERM');
        return familyExchange(exchange(await started.done, new Collector(), dir, ''));
      }
      await a.opened;
      // A is accepted before B connects, so that A is <user1> and B <user2> in chat. (Over TLS,
      // a client whose handshake failed is closed instead, and the broker goes on.)
      const accepted = await Promise.race([
        lineOrEnd(stderr, /"event":"accepted"/),
        a.closed.then(() => undefined),
      ]);
      if (accepted === undefined) {
        await stopTurnedAway(started, option);
        return familyExchange(exchange(await started.done, new Collector(), dir, ''));
      }
      const b = connect();
      await b.opened;
      await lineOrEnd(stderr, /"event":"accepted"[\s\S]*"event":"accepted"/);
      let sockets = '';
      let mark = 0;
      if (script.idlePeer) {
        // Nobody sends: -i closes each client, and then sockcat is stopped.
        await Promise.all([a.closed, b.closed]);
      } else {
        child.stdin!.write(script.stdin);
        const want = lastLine(script.stdin);
        // (Or until a client is closed: a run that goes wrong must still end.)
        await Promise.all(
          [a, b].map((client) =>
            Promise.race([holds(client.data, want, client.emitter), client.closed]),
          ),
        );
        mark = b.data.bytes.length;
        if (script.peerHolds) {
          // The clients stay: only stdin's end (with -q) ends the broker, which closes them.
          child.stdin!.end();
          const result = await started.done;
          await Promise.all([a.closed, b.closed]);
          return familyExchange(exchange(result, b.data, dir, ''), { sender: a.data.bytes });
        }
        if (script.probeSockets) sockets = await settledSocketsOf(child.pid!);
        a.send(String(script.peerSends));
        a.end();
        // sockcat closes A at its end, once what A sent was relayed to B (and, in chat, its leaving
        // announced): its `closed` event says so.
        await Promise.all([a.closed, lineOrEnd(stderr, /"event":"closed"/)]);
        b.end();
        await b.closed;
      }
      child.stdin!.end();
      await lineOrEnd(stderr, /"event":"closed"[\s\S]*"event":"closed"/);
      child.kill('SIGTERM');
      const result = await started.done;
      const relayed = b.data.bytes.subarray(mark);
      return familyExchange(
        exchange(
          { ...result, stdout: chat ? withoutAnnouncements(relayed) : relayed },
          b.data,
          dir,
          sockets,
        ),
        { frames: b.frames, sender: a.data.bytes, cliStdout: result.stdout },
      );
    },
  };
}

/**
 * What a WebSocket driver's own side speaks beyond plain ws (matrix-wss.ts: TLS for wss://):
 * the connect drivers' server, the listen drivers' client, and what each saw of the session.
 */
export interface WsSecurity {
  /** Connect modes: the server the peer's WebSocketServer rides on (not listening yet). */
  server(t: TestContext, script: Script): Promise<WsServerSide>;
  /** Listen modes: how the client connects. */
  client(t: TestContext, script: Script): Promise<WsClientSide>;
}

export interface WsServerSide {
  server: HttpServer;
  /** The URL's scheme sockcat is given. */
  scheme: 'ws' | 'wss';
  /** What sockcat's environment adds (a CA to trust). */
  env?: Readonly<Record<string, string>>;
  /** What the peer saw beyond the core exchange, merged into it once the run is over. */
  extra(): Record<string, unknown>;
}

export interface WsClientSide {
  scheme: 'ws' | 'wss';
  options: ClientOptions;
  /** The socket the upgrade's answer came on (a TLSSocket for wss). */
  upgraded(socket: Socket): void;
  extra(): Record<string, unknown>;
  /**
   * sockcat's -v line for a client it turned away before the upgrade (a failed handshake): a
   * server that goes on (-k, -e) is stopped once it has said so.
   */
  turnedAway: RegExp;
}

const PLAIN: WsSecurity = {
  server: async () => ({ server: createHttpServer(), scheme: 'ws', extra: () => ({}) }),
  client: async () => ({
    scheme: 'ws',
    options: {},
    upgraded: () => {},
    extra: () => ({}),
    turnedAway: /$^/,
  }),
};

/** A host as a URL names it (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The peer's bytes on sockcat's stdout (sockcat printed what the peer sent). */
function printed(started: Started, script: Script): Promise<unknown> {
  const text = String(script.peerSends).trim();
  return lineOrEnd(started.child.stdout!, new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
}

/**
 * ws:// (and, with `security`, wss://) connect: the peer is a `ws` WebSocketServer here; it sends
 * its bytes as one binary message at once; sockcat sends its stdin and, at its end, Close 1000,
 * which the peer answers. With -e cat (or a handler), the peer closes once its echo came back.
 * The core scripts: -4/-6 (host, peerAddress), -d (stdinSecond), -q (peerHolds: the peer stops
 * reading, so sockcat's Close goes unanswered), --retry and -w (target), -s/-p (peerSaw), and
 * --proxy (endAfterReply).
 */
export function wsConnectDriver({
  echoes = false,
  security = PLAIN,
  name = `ws connect${echoes ? ', exec' : ''}`,
  files = {},
}: {
  echoes?: boolean;
  security?: WsSecurity;
  name?: string;
  /** Files every run's directory has (a handler's script). */
  files?: Readonly<Record<string, string>>;
} = {}): Driver {
  return {
    name,
    echoes,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial } as FamilyScript;
      const dir = tempDir(t, { ...files, ...script.files });
      const received = new Collector();
      const frames: Frame[] = [];
      const pings: number[] = [];
      let closeCode: number | undefined;
      let sockets = '';
      let started: Started | undefined;
      let peerSaw: { address: string; port: number } | undefined;
      const side = await security.server(t, script);
      const http = side.server;
      const server = new WebSocketServer({ server: http });
      t.after(() => {
        for (const client of server.clients) client.terminate();
        server.close();
        http.close();
      });
      let connected = false;
      const session = new Promise<void>((resolve) => {
        server.once('connection', (ws: WebSocket, request: IncomingMessage) => {
          connected = true;
          peerSaw = { address: request.socket.remoteAddress!, port: request.socket.remotePort! };
          const opened = performance.now();
          ws.on('error', () => {});
          ws.on('close', (code: number) => {
            closeCode = code;
            resolve();
          });
          ws.on('message', (data: Buffer, binary: boolean) => {
            frames.push({ binary, data });
            received.add(data);
          });
          ws.on('ping', () => pings.push(performance.now() - opened));
          if (script.idlePeer) return;
          ws.send(Buffer.from(script.peerSends));
          if (script.peerHolds) {
            // It reads nothing more: sockcat's Close is never answered, only -q can end the run.
            ws.pause();
            return;
          }
          if (script.peerCloses) {
            ws.close(1000);
            return;
          }
          const stdin = started!.child.stdin!;
          if (script.stdinSecond !== undefined) {
            const second = script.stdinSecond;
            void holds(received, lastLine(script.stdin), ws).then(() => stdin.end(second));
            return;
          }
          const want = echoes ? String(script.peerSends).trimEnd() : lastLine(script.stdin);
          if (script.sockcatCloses) return;
          const waits = script.probeSockets || script.untilPing || script.endAfterReply;
          if (!echoes && !waits) return;
          void (async () => {
            await holds(received, want, ws);
            if (script.untilPing && pings.length === 0) await once(ws, 'ping').catch(() => {});
            if (script.probeSockets) sockets = await settledSocketsOf(started!.child.pid!);
            if (echoes) ws.close(1000);
            else {
              // (Through a proxy's tunnel, stdin's end waits until the peer's bytes are through.)
              if (script.endAfterReply) await printed(started!, script);
              stdin.end();
            }
          })();
        });
      });
      let port: number;
      if (script.target === 'peer') {
        http.listen(0, script.peerAddress);
        await once(http, 'listening');
        port = (http.address() as { port: number }).port;
      } else {
        const chosen =
          script.target === 'later' ? await portToListenOnLater() : await hangingPort(t);
        if (chosen === undefined) throw new Error('the native addon is needed for a hanging port');
        port = chosen;
      }
      const url = `${side.scheme}://${urlHost(script.host)}:${port}/`;
      started = start(t, cliArgv(option, mode, [url]), dir, side.env);
      if (script.target === 'later') {
        const failed = await lineOrEnd(started.child.stderr!, /"event":"connect-failed"/);
        if (failed !== undefined) http.listen(port, script.peerAddress);
      }
      const stdin = started.child.stdin!;
      if (script.idlePeer) session.then(() => stdin.end());
      else if (script.sockcatCloses) {
        stdin.write(script.stdin);
        session.then(() => stdin.end());
      } else if ((script.probeSockets || script.untilPing || script.endAfterReply) && !echoes) {
        stdin.write(script.stdin);
      } else if (script.stdinSecond !== undefined) stdin.write(script.stdin);
      else stdin.end(script.stdin);
      const result = await started.done;
      // A holding peer has nothing more to wait for once sockcat is gone.
      if (script.peerHolds) for (const client of server.clients) client.terminate();
      if (connected) await session;
      server.close();
      http.close();
      return {
        ...familyExchange(exchange(result, received, dir, sockets, peerSaw), {
          frames,
          pings,
          closeCode,
        }),
        ...side.extra(),
      };
    },
  };
}

/**
 * -l --websocket (and -l -k --websocket; with `security`, over TLS): sockcat listens on port 0;
 * a `ws` client connects, sends its bytes in one binary message and reads. Without -k, stdin is
 * given whole at the start and sockcat's Close at its end ends the session (the client answers
 * it); with -k, stdin is written once the client is accepted, the client closes (1000) once it
 * has it, and sockcat is stopped with SIGTERM after the session. With -e cat (or a handler) the
 * client closes once its echo is back. Core scripts: -4/-6 (host), -d (stdinSecond), -q
 * (peerHolds: the client stops reading), -m (secondClient), --deny (denied).
 */
export function wsListenDriver({
  keepOpen = false,
  echoes = false,
  security = PLAIN,
  name = `ws listen${keepOpen ? ' -k' : ''}${echoes ? ', exec' : ''}`,
  files = {},
}: {
  keepOpen?: boolean;
  echoes?: boolean;
  security?: WsSecurity;
  name?: string;
  files?: Readonly<Record<string, string>>;
} = {}): Driver {
  return {
    name,
    echoes,
    async run(t, option, mode, partial = {}) {
      const script = {
        ...DEFAULT_SCRIPT,
        path: wsPathOf(option),
        untilPing: false,
        sockcatCloses: false,
        ...partial,
      } as FamilyScript;
      const dir = tempDir(t, { ...files, ...script.files });
      const side = await security.client(t, script);
      const started = start(t, cliArgv(option, mode, [script.host, '0']), dir);
      const { child } = started;
      const stderr = child.stderr!;
      const listening = await lineOrEnd(stderr, LISTENING);
      if (listening === undefined)
        return familyExchange(exchange(await started.done, new Collector(), dir, ''));
      const port = Number(listening[1] ?? listening[2]);
      const holdStdin =
        keepOpen ||
        script.idlePeer ||
        script.probeSockets ||
        script.untilPing ||
        script.sockcatCloses ||
        script.stdinSecond !== undefined;
      if (!holdStdin) child.stdin!.end(script.stdin);
      else if (!keepOpen && !script.idlePeer) child.stdin!.write(script.stdin);
      const received = new Collector();
      const frames: Frame[] = [];
      const pings: number[] = [];
      let closeCode: number | undefined;
      let refused: number | undefined;
      let opened = 0;
      const url = `${side.scheme}://${urlHost(script.host)}:${port}`;
      const ws = new WebSocket(`${url}${script.path}`, side.options);
      t.after(() => ws.terminate());
      ws.on('error', () => {});
      ws.on('upgrade', (response: IncomingMessage) => side.upgraded(response.socket));
      ws.on('unexpected-response', (_request, response) => {
        refused = response.statusCode;
        ws.terminate();
      });
      ws.on('message', (data: Buffer, binary: boolean) => {
        frames.push({ binary, data });
        received.add(data);
      });
      ws.on('ping', () => pings.push(performance.now() - opened));
      if (script.stdinSecond !== undefined) {
        // The second send goes once the first is in (with -k, stdin stays open after it).
        const second = script.stdinSecond;
        void holds(received, lastLine(script.stdin), ws).then(() =>
          keepOpen ? child.stdin!.write(second) : child.stdin!.end(second),
        );
      }
      const closed = new Promise<void>((resolve) =>
        ws.once('close', (code: number) => {
          closeCode = code;
          resolve();
        }),
      );
      // The client sends in the 'open' listener itself: sockcat's stdin and its Close may come
      // with the upgrade's answer, and what the client sends before it reads them is delivered.
      const open = new Promise<boolean>((resolve) => {
        ws.once('open', () => {
          opened = performance.now();
          if (!script.idlePeer) ws.send(Buffer.from(script.peerSends));
          // A holding client reads nothing more: sockcat's Close goes unanswered (for -q).
          if (script.peerHolds) ws.pause();
          if (script.peerCloses || script.denied) ws.close(1000);
          resolve(true);
        });
        closed.then(() => resolve(false));
      });
      let sockets = '';
      const upgraded = await open;
      if (!upgraded) {
        // Turned away before the upgrade (--ws-path, a TLS handshake): nothing to exchange.
      } else if (script.peerHolds) {
        if (keepOpen) {
          // -k reads stdin for the clients in: it ends once this one is.
          const accepted = await Promise.race([lineOrEnd(stderr, /"event":"accepted"/), closed]);
          if (accepted !== undefined) child.stdin!.end(script.stdin);
        }
        await started.done;
        ws.terminate();
      } else if (
        !script.idlePeer &&
        !script.peerCloses &&
        !script.denied &&
        !script.sockcatCloses
      ) {
        if (keepOpen || echoes || holdStdin) {
          if (keepOpen) {
            const accepted = await Promise.race([lineOrEnd(stderr, /"event":"accepted"/), closed]);
            if (accepted !== undefined) child.stdin!.write(script.stdin);
            if (accepted !== undefined && script.secondClient) {
              await turnedAwayClient(t, `${url}${script.path}`, side.options);
            }
          }
          const last = echoes ? script.peerSends : (script.stdinSecond ?? script.stdin);
          const want = echoes ? String(last).trimEnd() : lastLine(String(last));
          await Promise.race([holds(received, want, ws), closed]);
          if (script.untilPing && pings.length === 0)
            await Promise.race([once(ws, 'ping').catch(() => {}), closed]);
          if (script.probeSockets) sockets = await settledSocketsOf(child.pid!);
          if (keepOpen || echoes) ws.close(1000);
          else child.stdin!.end();
        }
      }
      await closed;
      if (script.idlePeer || script.sockcatCloses) child.stdin!.end();
      // A client turned away before the upgrade (a failed TLS handshake): -k and -e go on
      // listening, and are stopped once they said why (with -v); -l alone exits 1 by itself.
      const goesOn = keepOpen || script.denied || refused !== undefined || (!upgraded && echoes);
      if (running(started) && goesOn) {
        if (upgraded) {
          await lineOrEnd(stderr, script.denied ? /"event":"denied"/ : /"event":"closed"/);
        } else if (refused === undefined && option.some((word) => /^-v+$/.test(word))) {
          await lineOrEnd(stderr, side.turnedAway);
        }
        child.kill('SIGTERM');
      }
      return {
        ...familyExchange(exchange(await started.done, received, dir, sockets), {
          frames,
          pings,
          closeCode,
          refused,
        }),
        ...side.extra(),
      };
    },
  };
}

/** A second client connects and is closed by sockcat (over -m): resolves once it is. */
async function turnedAwayClient(t: TestContext, url: string, options: ClientOptions) {
  const second = new WebSocket(url, options);
  t.after(() => second.terminate());
  second.on('error', () => {});
  await new Promise<void>((resolve) => second.once('close', () => resolve()));
}

const DRIVERS = {
  broker: brokerDriver(),
  chat: brokerDriver({ chat: true }),
  wsBroker: brokerDriver({ websocket: true }),
  wsChat: brokerDriver({ chat: true, websocket: true }),
  wsConnect: wsConnectDriver(),
  wsConnectExec: wsConnectDriver({ echoes: true }),
  wsListen: wsListenDriver(),
  wsListenExec: wsListenDriver({ echoes: true }),
  wsListenKeepOpen: wsListenDriver({ keepOpen: true }),
  wsListenKeepOpenExec: wsListenDriver({ keepOpen: true, echoes: true }),
};

/** Broker and chat (over TCP or WebSocket), and plain ws:// and -l --websocket. */
export function chooseBroker(layers: Layers, _options: Options): Driver | undefined {
  const { transport, security, role, multiplicity, io } = layers;
  if (security !== 'plain') return undefined;
  if (transport !== 'tcp' && transport !== 'websocket') return undefined;
  const websocket = transport === 'websocket';
  if (multiplicity === 'broker' || multiplicity === 'chat') {
    if (io !== 'stdio') return undefined;
    if (multiplicity === 'chat') return websocket ? DRIVERS.wsChat : DRIVERS.chat;
    return websocket ? DRIVERS.wsBroker : DRIVERS.broker;
  }
  if (!websocket) return undefined;
  const exec = io === 'exec';
  if (io !== 'stdio' && !exec) return undefined;
  if (role === 'connect') return exec ? DRIVERS.wsConnectExec : DRIVERS.wsConnect;
  if (multiplicity === 'keep-open') {
    return exec ? DRIVERS.wsListenKeepOpenExec : DRIVERS.wsListenKeepOpen;
  }
  return exec ? DRIVERS.wsListenExec : DRIVERS.wsListen;
}

const BROKERS = [DRIVERS.broker, DRIVERS.chat, DRIVERS.wsBroker, DRIVERS.wsChat].map((d) => d.name);
const CHATS = [DRIVERS.chat.name, DRIVERS.wsChat.name];
/** Where -e cat answers instead of stdin: the peer sees its own bytes, not stdin's framing. */
const WS_EXECS = [DRIVERS.wsConnectExec, DRIVERS.wsListenExec, DRIVERS.wsListenKeepOpenExec].map(
  (driver) => driver.name,
);

const TCP_DRIVERS: Readonly<Record<string, Driver>> = {
  [DRIVERS.wsBroker.name]: DRIVERS.broker,
  [DRIVERS.wsChat.name]: DRIVERS.chat,
  [DRIVERS.wsListen.name]: tcpListenDriver(),
  [DRIVERS.wsListenExec.name]: tcpListenDriver({ echoes: true }),
  [DRIVERS.wsListenKeepOpen.name]: tcpListenDriver({ keepOpen: true }),
  [DRIVERS.wsListenKeepOpenExec.name]: tcpListenDriver({ keepOpen: true, echoes: true }),
};

/** The driver of the same mode over TCP (for a run without --websocket). */
function tcpCounterpart(driver: Driver): Driver {
  const tcp = TCP_DRIVERS[driver.name];
  assert.ok(tcp, `no TCP driver for ${driver.name}`);
  return tcp;
}

/** A broker's relay: B got A's bytes and stdin's, A never its own, and sockcat printed nothing. */
function assertBrokered(run: FamilyExchange, driver: Driver, what: string): void {
  assertDelivered(run, driver, what);
  assert.doesNotMatch(run.sender.toString(), /from-peer/, `${what}: A did not get its own bytes`);
  assert.match(run.sender.toString(), /from-stdin/, `${what}: stdin reached A too`);
  assert.equal(run.cliStdout.length, 0, `${what}: a broker prints nothing`);
}

function assertChat(run: FamilyExchange, what: string): void {
  const seen = run.received.toString();
  assert.match(seen, /^<user0> from-stdin$/m, `${what}: stdin is <user0>`);
  assert.match(seen, /^<user1> from-peer$/m, `${what}: A is <user1>`);
  assert.match(seen, /^<announce> 127\.0\.0\.1 is connected as <user2>\.$/m, what);
  assert.match(seen, /^<announce> <user1> is disconnected\.$/m, what);
}

/** Whether a run went through --broker/--chat's drivers (the option made the mode one). */
function brokered(driver: Driver): boolean {
  return BROKERS.includes(driver.name);
}

export const BROKER_OBSERVERS: Readonly<Record<string, Observer>> = {
  broker: {
    async observe({ run, driver, argv }) {
      const withIt = (await run()) as FamilyExchange;
      assert.ok(brokered(driver), driver.name);
      assertBrokered(withIt, driver, argv.join(' '));
      // In --chat, --broker changes nothing: chat is a broker already.
      if (CHATS.includes(driver.name)) assertChat(withIt, argv.join(' '));
      else assert.doesNotMatch(withIt.received.toString(), /<user|<announce>/);
    },
  },
  chat: {
    async observe({ run, driver, argv }) {
      const withIt = (await run()) as FamilyExchange;
      assert.ok(CHATS.includes(driver.name), driver.name);
      assertBrokered(withIt, driver, argv.join(' '));
      assertChat(withIt, argv.join(' '));
    },
  },
  websocket: {
    // The accepted clients speak WebSocket where, without the option, they would speak TCP.
    async observe({ t, run, driver, argv, mode }) {
      const withIt = (await run()) as FamilyExchange;
      if (brokered(driver)) assertBrokered(withIt, driver, argv.join(' '));
      else assertDelivered(withIt, driver, argv.join(' '));
      const transports = eventsNamed(withIt, 'accepted').map((event) => event['transport']);
      assert.ok(
        transports.length > 0 && transports.every((name) => name === 'websocket'),
        withIt.stderr,
      );
      // In the -l --websocket modes the option is given twice: there is no TCP baseline. Elsewhere
      // the same mode without it is run by the TCP driver (this driver's clients speak WebSocket).
      if (!mode.argv.includes('--websocket')) {
        const without = await tcpCounterpart(driver).run(t, [], mode.argv);
        assertDelivered(without, driver, 'without --websocket');
        const tcp = eventsNamed(without, 'accepted').map((event) => event['transport']);
        assert.ok(tcp.length > 0 && tcp.every((name) => name === 'tcp'), without.stderr);
      }
    },
  },
  'ws-path': {
    async observe({ run, driver, argv }) {
      const wrong = (await run(argv, { path: '/' } as Partial<Script>)) as FamilyExchange;
      assert.equal(wrong.refused, 404, `a client on / is turned away: ${wrong.stderr}`);
      assert.equal(eventsNamed(wrong, 'accepted').length, 0, wrong.stderr);
      assertDelivered(
        await run(argv, { path: '/tunnel' } as Partial<Script>),
        driver,
        argv.join(' '),
      );
      // Without --ws-path, / is accepted.
      const without = (await run([], { path: '/' } as Partial<Script>)) as FamilyExchange;
      assertDelivered(without, driver, 'without --ws-path');
      assert.equal(without.refused, undefined);
    },
  },
  'ws-text': {
    async observe({ run, baseline, driver }) {
      const [withIt, without] = [
        (await run()) as FamilyExchange,
        (await baseline()) as FamilyExchange,
      ];
      assertDelivered(withIt, driver, '--ws-text');
      assert.ok(withIt.frames.length > 0 && withIt.frames.every((f) => !f.binary), 'text frames');
      assert.ok(
        without.frames.length > 0 && without.frames.every((f) => f.binary),
        'binary frames',
      );
    },
  },
  'ws-lines': {
    except: WS_EXECS,
    async observe({ run, baseline }) {
      const stdin = 'line-one\nline-two\n';
      const withIt = (await run(undefined, { stdin })) as FamilyExchange;
      okRun(withIt, '--ws-lines');
      assert.deepEqual(
        withIt.frames.map((f) => [f.binary, f.data.toString()]),
        [
          [false, 'line-one'],
          [false, 'line-two'],
        ],
      );
      const without = (await run([], { stdin })) as FamilyExchange;
      assert.ok(
        without.frames.every((f) => f.binary),
        'binary frames without it',
      );
      assert.equal(Buffer.concat(without.frames.map((f) => f.data)).toString(), stdin);
      // Each message is printed as a line: the peer's 'from-peer\n' gets one more newline.
      assert.match(withIt.stdout.toString(), /from-peer\n\n/);
      assert.doesNotMatch((await baseline()).stdout.toString(), /from-peer\n\n/);
    },
  },
  'ws-max-message': {
    async observe({ run, driver }) {
      const peerSends = 'from-peer, a message longer than sixteen bytes\n';
      // sockcat's stdin stays open: its end would send a Close of its own before the limit's.
      const withIt = (await run(['--ws-max-message', '16'], {
        peerSends,
        sockcatCloses: true,
      } as Partial<Script>)) as FamilyExchange;
      assert.equal(withIt.closeCode, 1009, withIt.stderr);
      if (driver.name.startsWith('ws listen -k')) {
        // With -k a client's end is not the run's error: its session closes on the WebSocket.
        const reasons = eventsNamed(withIt, 'closed').map((event) => event['reason']);
        assert.deepEqual(reasons, ['websocket'], withIt.stderr);
      } else {
        assert.match(withIt.stderr, /larger than the limit of 16 bytes/);
        assert.equal(withIt.code, 1, withIt.stderr);
      }
      assert.doesNotMatch(withIt.stdout.toString(), /from-peer/);
      const without = (await run([], { peerSends })) as FamilyExchange;
      assertDelivered(without, driver, 'the same message without --ws-max-message');
      assert.notEqual(without.closeCode, 1009);
    },
  },
  'ws-ping': {
    async observe({ run, baseline, driver }) {
      const withIt = (await run(['--ws-ping', '200ms'], {
        untilPing: true,
      } as Partial<Script>)) as FamilyExchange;
      assertDelivered(withIt, driver, '--ws-ping');
      assert.ok(withIt.pings.length > 0, 'the peer got a ping');
      // Not before the interval (with slack for the two ends' clocks starting apart).
      assert.ok(withIt.pings[0]! >= 150, `first ping after ${withIt.pings[0]} ms`);
      assert.equal(((await baseline()) as FamilyExchange).pings.length, 0, 'no ping without it');
    },
  },
};
