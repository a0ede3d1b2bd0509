// A Unix SOCK_SEQPACKET server: a connection that keeps message boundaries. Each message a
// client sends is answered with the same message in upper case; the client's end of stream ends
// its connection.
//
// node dist/examples/seqpacket-server.js PATH        (PATH may be @name: an abstract socket)
import { listenSeqpacket, type MessageSocket, SockcatError } from 'sockcat';

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: seqpacket-server PATH');
  process.exit(2);
}

const connections = new Set<MessageSocket>();

async function serve(connection: MessageSocket): Promise<void> {
  connections.add(connection);
  try {
    for await (const message of connection) {
      await connection.send(message.data.toString().toUpperCase());
    }
  } finally {
    connections.delete(connection);
    connection.close();
  }
}

try {
  const listener = await listenSeqpacket(path);
  // Stop: no new clients, and the connected ones are closed (their loops end).
  const stop = () => {
    listener.close();
    for (const connection of connections) connection.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`listening on ${path}`);
  for await (const connection of listener) {
    serve(connection).catch((error: unknown) => console.error(`client failed: ${String(error)}`));
  }
} catch (error) {
  console.error(
    `seqpacket-server: ${error instanceof SockcatError ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}
