/**
 * Milliseconds on the monotonic clock, fractional. `performance.now()` gives the same, but its
 * first use loads Node's perf_hooks (~0.25 MB RSS in the daemon); process.hrtime is built in.
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
