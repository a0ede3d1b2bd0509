// The smallest ws program that does what `sockcat ws://` and `sockcat -l --websocket` do:
// `node bench/ws-minimal.mjs listen PORT > out` and `... | node bench/ws-minimal.mjs connect URL`.
import { WebSocket, WebSocketServer } from 'ws';

const [mode, where] = process.argv.slice(2);
if (mode === 'listen') {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: Number(where),
    perMessageDeflate: false,
  });
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      if (!process.stdout.write(data)) {
        ws.pause();
        process.stdout.once('drain', () => ws.resume());
      }
    });
    ws.on('close', () => server.close());
  });
} else {
  const ws = new WebSocket(where, { perMessageDeflate: false });
  ws.on('open', () => {
    process.stdin.on('data', (chunk) => {
      ws.send(chunk);
      if (ws.bufferedAmount > 1024 * 1024) {
        process.stdin.pause();
        const wait = () =>
          ws.bufferedAmount > 256 * 1024 ? setImmediate(wait) : process.stdin.resume();
        wait();
      }
    });
    process.stdin.on('end', () => ws.close(1000));
  });
}
