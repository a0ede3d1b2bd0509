#!/usr/bin/env node
// The sockcat command: parse, run, exit. Start-up time matters, so the compile cache is enabled
// where Node has it (>= 22.1) before anything else is loaded.
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = await import('./run.js');
const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// A closed stdout (`sockcat ... | head -c1`) ends the relay quietly; never crash on it.
process.stdout.on('error', () => {});
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
// stdin may still be open (the peer closed first): leave without waiting for it.
process.exitCode = code;
if (process.stdout.writableLength > 0) process.stdout.once('drain', () => process.exit());
else process.exit();
