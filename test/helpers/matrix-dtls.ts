// DTLS drivers for the observed option x mode matrix (-u --ssl): OpenSSL's s_server and s_client
// (DTLS 1.2) are the peers, as in test/interop/dtls.test.ts.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { after } from 'node:test';
import type { Layers } from '../../src/cli/layers.js';
import { createCertificate } from '../../src/tls/certificate.js';
import { finished, stop, waitForLine } from './child.js';
import {
  Collector,
  cliArgv,
  DEFAULT_SCRIPT,
  type Driver,
  exchange,
  lineOrEnd,
  listeningOn,
  start,
  tempDir,
} from './matrix-drivers.js';
import { requirePeer } from './peers.js';

/**
 * What these drivers' exchange cannot show: OpenSSL's peers listen and connect on 127.0.0.1 only
 * (-4/-6), run one fixed exchange (-d, -q, --send-only, --recv-only, -m, -w) and are not probed
 * for socket options or their view of sockcat's address (-T, -I, -O, -s, -p).
 */
const UNSUITED = [
  'ipv4',
  'ipv6',
  'delay',
  'quit-after-eof',
  'send-only',
  'recv-only',
  'max-conns',
  'wait',
  'tos',
  'rcvbuf',
  'sndbuf',
  'source',
  'source-port',
];

/**
 * s_server's certificate and key, made once per test process (key generation is the slow part
 * of a run), in a private directory that goes when the test file is done.
 */
const certificateDir = mkdtempSync(join(tmpdir(), 'sockcat-dtls-'));
after(() => rmSync(certificateDir, { recursive: true, force: true }));
let serverFiles: Promise<{ cert: string; key: string }> | undefined;

function serverCertificate(): Promise<{ cert: string; key: string }> {
  serverFiles ??= createCertificate({ names: ['localhost', '127.0.0.1'] }).then((generated) => {
    const files = {
      cert: join(certificateDir, 'server.pem'),
      key: join(certificateDir, 'server.key'),
    };
    writeFileSync(files.cert, generated.cert, { mode: 0o600 });
    writeFileSync(files.key, generated.key, { mode: 0o600 });
    return files;
  });
  return serverFiles;
}

/** What a chatty s_server printed of the application data: after its handshake report. */
function serverData(stdout: string): Buffer {
  const start = /^Secure Renegotiation IS (?:NOT )?supported\n/m.exec(stdout);
  if (start === null) return Buffer.alloc(0);
  const data = stdout.slice(start.index + start[0].length);
  const done = data.indexOf('DONE\n');
  return Buffer.from(done === -1 ? data : data.slice(0, done), 'latin1');
}

function openssl(t: TestContext, args: readonly string[]): ChildProcess | undefined {
  const path = requirePeer(t, 'openssl');
  if (path === undefined) return undefined;
  const child = spawn(path, args, { stdio: 'pipe' });
  t.after(() => stop(child));
  child.stdin!.on('error', () => {});
  return child;
}

/** Resolves once `text` has been written by the stream (since it was first watched). */
function printed(stream: NodeJS.ReadableStream, text: string): Promise<unknown> {
  return lineOrEnd(stream, new RegExp(text.trimEnd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
}

/**
 * DTLS connect (`-u --ssl`): s_server listens on port 0 and names its port; sockcat connects and
 * sends its stdin; once s_server has it, s_server sends the peer's bytes; once sockcat printed
 * them, its stdin ends and it quits (UDP connect mode quits at stdin EOF).
 */
export const dtlsConnect: Driver = {
  name: 'dtls connect',
  echoes: false,
  unsuited: UNSUITED,
  async run(t, option, mode, partial = {}) {
    const script = { ...DEFAULT_SCRIPT, ...partial };
    const dir = tempDir(t, script.files);
    const { cert, key } = await serverCertificate();
    const server = openssl(t, [
      's_server',
      '-dtls1_2',
      '-accept',
      '127.0.0.1:0',
      '-cert',
      cert,
      '-key',
      key,
    ]);
    if (server === undefined) throw new Error('openssl is required');
    const serverDone = finished(server);
    const accept = await waitForLine(server.stdout!, /^ACCEPT 127\.0\.0\.1:(\d+)$/m);
    const started = start(t, cliArgv(option, mode, [script.host, accept[1]!]), dir);
    if (!script.idlePeer) {
      started.child.stdin!.write(script.stdin);
      if (
        (await Promise.race([printed(server.stdout!, script.stdin), started.done])) !== undefined
      ) {
        server.stdin!.write(script.peerSends);
        await printed(started.child.stdout!, String(script.peerSends));
      }
      started.child.stdin!.end();
    }
    const result = await started.done;
    server.kill('SIGTERM');
    const received = new Collector();
    received.add(serverData((await serverDone).stdout.toString('latin1')));
    return exchange(result, received, dir, '');
  },
};

/**
 * DTLS listen (`-u -l --ssl`, with or without -k): sockcat listens; s_client connects with the
 * peer's bytes; sockcat's stdin is written once it has accepted the client; once each side has
 * the other's bytes, sockcat is stopped with SIGTERM (a datagram session has no end of file).
 */
export function dtlsListen({ keepOpen = false } = {}): Driver {
  return {
    name: `dtls listen${keepOpen ? ' -k' : ''}`,
    echoes: false,
    unsuited: UNSUITED,
    async run(t, option, mode, partial = {}) {
      const script = { ...DEFAULT_SCRIPT, ...partial };
      const dir = tempDir(t, script.files);
      const started = start(t, cliArgv(option, mode, [script.host, '0']), dir);
      const listening = await listeningOn(started.child.stderr!);
      const received = new Collector();
      if (listening === undefined) return exchange(await started.done, received, dir, '');
      const target = `${listening.address}:${listening.port}`;
      const client = openssl(t, ['s_client', '-dtls1_2', '-quiet', '-connect', target]);
      if (client === undefined) throw new Error('openssl is required');
      client.stdout!.on('data', (chunk: Buffer) => received.add(chunk));
      if (!script.idlePeer) {
        client.stdin!.write(script.peerSends);
        const accepted = await lineOrEnd(
          started.child.stderr!,
          /"event":"accepted"|Connection from/,
        );
        if (accepted !== undefined) {
          started.child.stdin!.write(script.stdin);
          await Promise.race([printed(client.stdout!, script.stdin), started.done]);
          await Promise.race([
            printed(started.child.stdout!, String(script.peerSends)),
            started.done,
          ]);
        }
        started.child.kill('SIGTERM');
      }
      const result = await started.done;
      await stop(client);
      return exchange(result, received, dir, '');
    },
  };
}

const connectDriver = dtlsConnect;
const listenDriver = dtlsListen();
const listenKeepOpenDriver = dtlsListen({ keepOpen: true });

/** The DTLS drivers for `-u --ssl` cells with stdio. */
export function chooseDtls(layers: Layers): Driver | undefined {
  if (layers.security !== 'dtls' || layers.io !== 'stdio') return undefined;
  if (layers.role === 'connect') return connectDriver;
  return layers.multiplicity === 'keep-open' ? listenKeepOpenDriver : listenDriver;
}
