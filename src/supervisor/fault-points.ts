/**
 * Fault injection for the crash tests: TEND_TEST_KILL_AT=<point>:N makes the daemon kill itself
 * with SIGKILL the Nth time it passes <point>: `before-spawn` (intent written, nothing spawned),
 * `after-spawn` (spawned, nothing else written), `after-spawned` (the run's pid journaled, state.json not yet
 * written), `after-stop-intent` (stop recorded, no signal
 * sent), `after-operation` (an operation the user asked for recorded, nothing done yet). The worst instants for a crash (test/e2e/crash-timing.test.ts). Unset in normal use.
 */
const FAULT = /^([a-z-]+):(\d+)$/.exec(process.env.TEND_TEST_KILL_AT ?? '');
let faultCount = 0;
export function faultPoint(name: string): void {
  if (FAULT === null || FAULT[1] !== name) return;
  faultCount += 1;
  if (faultCount === Number(FAULT[2])) process.kill(process.pid, 'SIGKILL');
}
