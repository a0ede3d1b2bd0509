// Loaded into each server of the soak (bench/soak.ts) with --import: every 5 s, the 99th
// percentile of the event loop's delay over the last 5 s, appended to $SOCKCAT_SOAK_PROBE.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env['SOCKCAT_SOAK_PROBE'];
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  setInterval(() => {
    appendFileSync(file, `${JSON.stringify({ p99: histogram.percentile(99) / 1e6 })}\n`);
    histogram.reset();
  }, 5000).unref();
}
