import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideRestart,
  FLOOR_FIRST_MS,
  FLOOR_MAX_MS,
  FRESH_HISTORY,
  MAX_BACKOFF_MS,
  QUICK_RUN_MS,
  restartFloorMs,
} from '../../src/supervisor/restart-policy.js';

const spec = {
  autorestart: true,
  stopExitCodes: [] as number[],
  restartDelayMs: 0,
  expBackoffRestartDelayMs: 0,
  maxRestarts: 3,
  minUptimeMs: 1000,
};
const crash = (uptimeMs: number, code: number | null = 1, signal: string | null = null) => ({ code, signal, uptimeMs });

describe('restart policy', () => {
  it('restarts immediately after a first crash', () => {
    const d = decideRestart(FRESH_HISTORY, crash(5000), spec);
    assert.equal(d.action, 'restart');
    assert.equal(d.action === 'restart' && d.delayMs, 0);
  });

  it('stops without a restart when autorestart is off, or on a stop exit code', () => {
    assert.deepEqual(decideRestart(FRESH_HISTORY, crash(5000), { ...spec, autorestart: false }).action, 'give-up');
    const d = decideRestart(FRESH_HISTORY, crash(5000, 0), { ...spec, stopExitCodes: [0] });
    assert.equal(d.action === 'give-up' && d.status, 'stopped');
    // A signal is not an exit code, even if the number matches.
    assert.equal(decideRestart(FRESH_HISTORY, crash(5000, null, 'SIGKILL'), { ...spec, stopExitCodes: [0, 9] }).action, 'restart');
  });

  it("marks errored at the max_restarts-th unstable run in a row (PM2's count: N runs in all)", () => {
    let h = FRESH_HISTORY;
    for (let i = 1; i <= 2; i++) {
      const d = decideRestart(h, crash(10), spec);
      assert.equal(d.action, 'restart', `restart ${i}`);
      h = d.history;
    }
    const last = decideRestart(h, crash(10), spec);
    assert.equal(last.action === 'give-up' && last.status, 'errored');
    assert.match(last.reason, /giving up/);
  });

  it('a stable run resets the unstable counter', () => {
    let h = FRESH_HISTORY;
    for (let i = 0; i < 3; i++) h = decideRestart(h, crash(10), spec).history;
    const stable = decideRestart(h, crash(5000), spec);
    assert.equal(stable.action, 'restart');
    assert.equal(stable.history.unstableRestarts, 0);
  });

  it('backs off exponentially, capped at 15 s, reset after a stable run', () => {
    const s = { ...spec, expBackoffRestartDelayMs: 100, maxRestarts: 100 };
    let h = FRESH_HISTORY;
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = decideRestart(h, crash(10), s);
      assert.equal(d.action, 'restart');
      if (d.action === 'restart') delays.push(d.delayMs);
      h = d.history;
    }
    assert.deepEqual(delays.slice(0, 5), [0, 100, 200, 400, 800]);
    assert.equal(Math.max(...delays), MAX_BACKOFF_MS);
    const after = decideRestart(h, crash(60_000), s);
    assert.equal(after.action === 'restart' && after.delayMs, 0);
  });

  it('uses restart_delay as a fixed delay and as the floor of the backoff', () => {
    assert.equal((decideRestart(FRESH_HISTORY, crash(5000), { ...spec, restartDelayMs: 1500 }) as { delayMs: number }).delayMs, 1500);
  });
});

describe('restart-rate floor', () => {
  const loose = { ...spec, minUptimeMs: 0, maxRestarts: 1_000_000 };
  const delaysFor = (s: typeof spec, runs: number, uptimeMs = 5) => {
    let h = FRESH_HISTORY;
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const d = decideRestart(h, crash(uptimeMs), s);
      assert.equal(d.action, 'restart');
      if (d.action === 'restart') out.push(d.delayMs);
      h = d.history;
    }
    return { delays: out, history: h };
  };

  it('grows to ≥ 100 ms after a few quick exits, up to 1 s, with min_uptime 0 and a huge max_restarts', () => {
    const { delays } = delaysFor(loose, 10);
    assert.deepEqual(delays, [0, 0, FLOOR_FIRST_MS, 200, 400, 800, FLOOR_MAX_MS, FLOOR_MAX_MS, FLOOR_MAX_MS, FLOOR_MAX_MS]);
  });

  it('holds with backoff off, and under a smaller restart_delay or backoff', () => {
    assert.equal(delaysFor({ ...loose, restartDelayMs: 50 }, 5).delays[4], 400);
    assert.equal(delaysFor({ ...loose, expBackoffRestartDelayMs: 10 }, 5).delays[4], 400);
    // A larger configured delay wins over the floor.
    assert.equal(delaysFor({ ...loose, restartDelayMs: 5000 }, 5).delays[4], 5000);
  });

  it('a run of QUICK_RUN_MS resets it; slower crashes never meet it', () => {
    const { history } = delaysFor(loose, 6);
    const after = decideRestart(history, crash(QUICK_RUN_MS), loose);
    assert.equal(after.action === 'restart' && after.delayMs, 0);
    assert.equal(after.history.quickExits, 0);
    assert.deepEqual(delaysFor(loose, 8, QUICK_RUN_MS + 1).delays, [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('restartFloorMs is monotonic and capped', () => {
    let last = 0;
    for (let n = 0; n < 100; n++) {
      const f = restartFloorMs(n);
      assert.ok(f >= last && f <= FLOOR_MAX_MS);
      last = f;
    }
    assert.equal(restartFloorMs(100), FLOOR_MAX_MS);
  });
});
