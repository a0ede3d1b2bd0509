import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { stop, waitForLine } from './child.js';
import { requirePeer } from './peers.js';

/**
 * A WebSocket peer written with python3's `websockets` (Debian python3-websockets).
 *
 * Server (`serve`): prints `port N`, then for each client echoes every message with its kind
 * (text stays text, binary stays binary), except the commands `close CODE REASON` (closes with
 * them), `big N` (sends N binary bytes of 0x61), `ping?` (pings the client and answers
 * `pong received` once the pong came back). When a client leaves it prints
 * `closed CODE REASON` (the code the client sent, or 1006).
 *
 * Client (`client URL [CODE]`): reads commands from stdin, one per line: `text T`, `binary HEX`,
 * `recv` (prints the next message as `text T` or `binary HEX`), `ping` (prints `pong` when the
 * pong came back), `close CODE REASON`. At the end it prints `closed CODE REASON` (what the
 * server sent) or `refused STATUS` when the upgrade was refused.
 */
const SCRIPT = String.raw`
import asyncio, sys
import websockets

def show(msg):
    if isinstance(msg, str):
        return 'text ' + msg
    return 'binary ' + msg.hex()

async def handler(ws, path=None):
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith('close '):
                _, code, reason = (msg + ' ').split(' ', 2)
                await ws.close(int(code), reason.strip())
                break
            if isinstance(msg, str) and msg.startswith('big '):
                await ws.send(b'a' * int(msg[4:]))
                continue
            if msg == 'ping?':
                waiter = await ws.ping()
                await waiter
                await ws.send('pong received')
                continue
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    print('closed', ws.close_code, ws.close_reason, flush=True)

async def serve():
    async with websockets.serve(handler, '127.0.0.1', 0, max_size=None, compression=None) as server:
        port = list(server.sockets)[0].getsockname()[1]
        print('port', port, flush=True)
        await asyncio.Future()

async def client(url):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        ws = await websockets.connect(url, max_size=None, compression=None)
    except websockets.InvalidStatusCode as error:
        print('refused', error.status_code, flush=True)
        return
    while True:
        line = (await reader.readline()).decode()
        if line == '':
            break
        command, _, arg = line.rstrip('\n').partition(' ')
        try:
            if command == 'text':
                await ws.send(arg)
            elif command == 'binary':
                await ws.send(bytes.fromhex(arg))
            elif command == 'recv':
                print(show(await ws.recv()), flush=True)
            elif command == 'ping':
                await (await ws.ping())
                print('pong', flush=True)
            elif command == 'close':
                code, _, reason = arg.partition(' ')
                await ws.close(int(code), reason)
                break
        except websockets.ConnectionClosed:
            break
    await ws.close()
    await ws.wait_closed()
    print('closed', ws.close_code, ws.close_reason, flush=True)

if sys.argv[1] == 'serve':
    asyncio.run(serve())
else:
    asyncio.run(client(sys.argv[2]))
`;

let interpreter: string | null | undefined;

/** A python3 that can import websockets (pyenv's python3 on PATH may lack Debian's modules). */
function findInterpreter(): string | undefined {
  if (interpreter !== undefined) return interpreter ?? undefined;
  interpreter = null;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import websockets'], { stdio: 'ignore' });
    if (probe.status === 0) {
      interpreter = candidate;
      break;
    }
  }
  return interpreter ?? undefined;
}

/** The interpreter, or a skip (a failure when peers are required) naming the Debian package. */
export function requirePythonWebsockets(t: TestContext): string | undefined {
  if (!requirePeer(t, 'python3')) return undefined;
  const found = findInterpreter();
  if (found) return found;
  const reason = 'python3 cannot import websockets (apt-get install python3-websockets)';
  if (process.env['SOCKCAT_REQUIRE_PEERS'] === '1')
    throw new Error(`required peer missing: ${reason}`);
  t.skip(reason);
  return undefined;
}

/** Start the echo server; resolves with its port. Killed when the test ends. */
export async function startPythonServer(
  t: TestContext,
  python: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(python, ['-c', SCRIPT, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => stop(child));
  const match = await waitForLine(child.stdout!, /^port (\d+)$/m);
  return { child, port: Number(match[1]) };
}

/** Start a client for `url`; write commands to its stdin, read its lines on stdout. */
export function startPythonClient(t: TestContext, python: string, url: string): ChildProcess {
  const child = spawn(python, ['-c', SCRIPT, 'client', url], { stdio: 'pipe' });
  t.after(() => stop(child));
  return child;
}
