// A UDP echo server: every datagram goes back to its sender.
//
// Terminal 1:  node dist/examples/udp-echo-server.js 9999
// Terminal 2:  echo hello | nc -u -w1 127.0.0.1 9999
import { SockcatError, serve } from 'sockcat';

try {
  const server = await serve({
    protocol: 'udp',
    listen: process.argv[2] ?? '9999',
    handler: (datagram) => datagram.reply(datagram.data),
  });
  console.log(`udp echo server listening on port ${server.address().port}`);
  process.once('SIGINT', () => void server.close());
  process.once('SIGTERM', () => void server.close());
} catch (error) {
  console.error(
    `udp-echo-server: ${error instanceof SockcatError ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}
