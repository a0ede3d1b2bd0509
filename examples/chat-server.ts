// A line-based chat server: every line a client sends goes to all the others as "<userN> line".
//
// Terminal 1:  node dist/examples/chat-server.js 4000
// Terminals 2, 3, ...:  sockcat 127.0.0.1 4000
import { EOFError, serve, type Tube } from 'sockcat';

const clients = new Map<Tube, string>();
// Control characters from one client must not drive another's terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const printable = (line: Buffer) => line.toString('utf8').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
const broadcast = (from: Tube, text: string) => {
  for (const tube of clients.keys()) if (tube !== from) tube.send(text).catch(() => {});
};

const server = await serve({
  listen: process.argv[2] ?? '4000',
  handler: async (tube, info) => {
    const name = `user${info.id}`;
    clients.set(tube, name);
    broadcast(tube, `<${name}> joined\n`);
    try {
      for (;;) broadcast(tube, `<${name}> ${printable(await tube.recvLine({ drop: true }))}\n`);
    } catch (error) {
      if (!(error instanceof EOFError)) throw error;
    } finally {
      clients.delete(tube);
      broadcast(tube, `<${name}> left\n`);
    }
  },
});
console.log(`chat server listening on port ${server.address().port}`);
process.once('SIGINT', () => void server.close({ gracePeriod: 0 }));
