// Background opens run one at a time: libuv's pool has 4 threads, and app spawns (see
// src/spawner/) queue there too; 600 file creations ahead of them delayed 300 spawns by 0.5 s.
let backgroundBusy = false;
const backgroundQueue: Array<(finished: () => void) => void> = [];
let backgroundGate: () => boolean = () => true;
const GATE_RETRY_MS = 5;

/**
 * Background opens wait while `open()` says no (the daemon: while app spawns are under way), so
 * a burst of starts gets the CPU first; a write that comes meanwhile opens its file at once.
 */
export function setBackgroundGate(open: () => boolean): void {
  backgroundGate = open;
}

/** Runs `job` when the ones queued before it are done and the gate is open. */
export function inBackground(job: (finished: () => void) => void): void {
  const run = (j: (finished: () => void) => void): void => {
    backgroundBusy = true;
    if (!backgroundGate()) {
      setTimeout(() => run(j), GATE_RETRY_MS).unref();
      return;
    }
    j(() => {
      backgroundBusy = false;
      const next = backgroundQueue.shift();
      if (next !== undefined) run(next);
    });
  };
  if (backgroundBusy) backgroundQueue.push(job);
  else run(job);
}
