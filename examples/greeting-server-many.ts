// The greeting server for many clients: one handler per client, on the event loop (default), in
// worker threads (--threads N, like socketserver's ThreadingMixIn) or in worker processes
// (--processes N, like ForkingMixIn, but with a fixed pool instead of a fork per client).
//
// Terminal 1:  node dist/examples/greeting-server-many.js --port 8800 --threads 4
// Terminal 2:  for i in 1 2 3; do echo hi $i | nc 127.0.0.1 8800; done
import { parseArgs } from 'node:util';
import { type Concurrency, SockcatError, serve } from 'sockcat';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: '8800' },
    threads: { type: 'string' },
    processes: { type: 'string' },
  },
});
let concurrency: Concurrency = 'inline';
if (values.threads) concurrency = { threads: Number(values.threads) };
if (values.processes) concurrency = { processes: Number(values.processes) };

try {
  const server = await serve({
    listen: values.port,
    backlog: 10,
    handler: new URL('./greeting-handler.js', import.meta.url),
    concurrency,
  });
  const mode = concurrency === 'inline' ? 'inline' : JSON.stringify(concurrency);
  console.log(
    `greeting server listening on port ${server.address().port} (${mode}); Ctrl-C stops it`,
  );
  const stop = () => void server.close().then(() => console.log('greeting server closed'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(
    `greeting-server-many: ${error instanceof SockcatError ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}
