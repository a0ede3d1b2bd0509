/**
 * Milliseconds on a monotonic clock that starts with the process, as monotonicMs() does
 * (within a millisecond of it), for the CLI's durations and deadlines. The first use of the
 * `performance` global loads perf_hooks and nine more modules, about 5M instructions of a
 * connect's start-up; process.uptime() reads the same kind of clock with none of them.
 */
export function monotonicMs(): number {
  return process.uptime() * 1000;
}
