// The course's first client: fetch the start of a web page over a raw TCP socket.
//
// node dist/examples/http-get.js example.com            (port 80)
// node dist/examples/http-get.js 127.0.0.1 8080 --host example.com
import { parseArgs } from 'node:util';
import { connect, EOFError, SockcatError } from 'sockcat';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { host: { type: 'string' }, timeout: { type: 'string' } },
    allowPositionals: true,
  });
  const [host, port = '80'] = positionals;
  if (host === undefined) {
    console.error('usage: http-get HOST [PORT] [--host HEADER] [--timeout MS]');
    return 2;
  }
  // Resolves the name first: an unknown host fails with "host cannot be resolved: ...".
  const tube = await connect(`${host.includes(':') ? `[${host}]` : host}:${port}`, {
    timeout: Number(values.timeout ?? 10_000),
  });
  const header = values.host === undefined ? '' : `Host: ${values.host}\r\n`;
  await tube.send(`GET / HTTP/1.1\r\n${header}\r\n`);
  let response: Buffer = Buffer.alloc(0);
  try {
    response = await tube.recv(4096);
  } catch (error) {
    if (!(error instanceof EOFError)) throw error;
  }
  process.stdout.write(response);
  await tube.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SockcatError ? error.message : String(error);
    console.error(`http-get: ${message}`);
    process.exitCode = 1;
  },
);
