// The course's greeting server: accept one client, print who it is and what it sent, greet it in
// Chinese, close everything.
//
// Terminal 1:  npm start              (or: node dist/examples/greeting-server.js --port 8800)
// Terminal 2:  echo hello | nc 127.0.0.1 8800
import { parseArgs } from 'node:util';
import { EOFError, formatHostPort, listen, SockcatError } from 'sockcat';

const GREETING = '你好客户端\n\r';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { port: { type: 'string', short: 'p' } },
    allowPositionals: true,
  });
  const port = values.port ?? positionals[0] ?? '8800';

  // No host: every interface, IPv4 and IPv6. Backlog 10, as in the course.
  const listener = await listen(port, { backlog: 10 });
  const bound = listener.address().port;
  console.log(`greeting server listening on port ${bound} (all interfaces)`);
  console.log(`connect with:  nc 127.0.0.1 ${bound}   or   sockcat 127.0.0.1 ${bound}`);

  const client = await listener.accept();
  const peer = client.remote!;
  console.log(`client connected ${formatHostPort(peer.address, peer.port)}`);

  let request: Buffer = Buffer.alloc(0);
  try {
    request = await client.recv(1024);
  } catch (error) {
    if (!(error instanceof EOFError)) throw error;
  }
  console.log(request.toString('utf8'));

  await client.send(GREETING);
  await client.close();
  await listener.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SockcatError ? error.message : String(error);
    console.error(`greeting-server: ${message}`);
    process.exitCode = 1;
  },
);
