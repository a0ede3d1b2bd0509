// An echo server in the three concurrency modes of serve().
//
// Terminal 1:  node dist/examples/echo-server.js 7000                  (inline, the event loop)
//              node dist/examples/echo-server.js 7000 --threads 2       (2 worker threads)
//              node dist/examples/echo-server.js 7000 --processes 2     (2 worker processes)
// Terminal 2:  sockcat 127.0.0.1 7000
import { parseArgs } from 'node:util';
import { type Concurrency, SockcatError, serve } from 'sockcat';

const { values, positionals } = parseArgs({
  options: {
    threads: { type: 'string' },
    processes: { type: 'string' },
    'max-connections': { type: 'string' },
  },
  allowPositionals: true,
});
const port = positionals[0] ?? '7000';
let concurrency: Concurrency = 'inline';
if (values.threads) concurrency = { threads: Number(values.threads) };
if (values.processes) concurrency = { processes: Number(values.processes) };

try {
  const server = await serve({
    listen: port,
    handler: new URL('./echo-handler.js', import.meta.url),
    concurrency,
    ...(values['max-connections'] ? { maxConnections: Number(values['max-connections']) } : {}),
  });
  const mode = concurrency === 'inline' ? 'inline' : JSON.stringify(concurrency);
  console.log(`echo server listening on port ${server.address().port} (${mode})`);
  const stop = () => {
    server.close().then(() => console.log('echo server closed'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`echo-server: ${error instanceof SockcatError ? error.message : String(error)}`);
  process.exitCode = 1;
}
