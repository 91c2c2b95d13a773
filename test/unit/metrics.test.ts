import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuMeter } from '../../src/metrics/cpu-meter.js';
import { MetricHistory } from '../../src/metrics/history.js';
import { MetricsSampler } from '../../src/metrics/sampler.js';
import type { ProcStat } from '../../src/procfs/procfs.js';
import { assignTrees } from '../../src/metrics/tree-assign.js';
import { memoryOverLimit } from '../../src/limits/memory-limit.js';

const st = (pid: number, ppid: number, pgrp: number, session: number, extra: Partial<ProcStat> = {}): ProcStat => ({
  pid,
  ppid,
  pgrp,
  session,
  state: 'S',
  utimeTicks: 0,
  stimeTicks: 0,
  startTicks: '1000',
  rssPages: 100,
  ...extra,
});

describe('assignTrees', () => {
  it('finds members by session, group and parent links, main pid first', () => {
    const stats = [
      st(1, 0, 1, 1),
      st(11, 10, 10, 10), // child of app 10 in its session
      st(10, 1, 10, 10), // app 10 (listed after its child)
      st(12, 11, 12, 12), // setsid'd grandchild: only the parent link ties it to app 10
      st(13, 12, 13, 13), // its own child
      st(20, 1, 20, 20), // app 20
      st(30, 1, 30, 30), // not an app
    ];
    const trees = assignTrees(stats, [10, 20, 99]);
    assert.deepEqual(
      trees.get(10)?.map((s) => s.pid),
      [10, 11, 12, 13],
    );
    assert.deepEqual(
      trees.get(20)?.map((s) => s.pid),
      [20],
    );
    assert.deepEqual(trees.get(99), []);
  });

  it("gives a leader inside another leader's session (a cluster worker under its holder) its own subtree", () => {
    const stats = [
      st(10, 1, 10, 10), // holder
      st(11, 10, 10, 10), // worker 0
      st(12, 10, 10, 10), // worker 1
      st(13, 12, 10, 10), // worker 1's child, in the holder's session
      st(14, 10, 10, 10), // something else of the holder
      st(15, 13, 15, 15), // setsid'd below worker 1
    ];
    const trees = assignTrees(stats, [10, 11, 12]);
    assert.deepEqual(
      trees.get(10)?.map((s) => s.pid),
      [10, 14],
    );
    assert.deepEqual(
      trees.get(11)?.map((s) => s.pid),
      [11],
    );
    assert.deepEqual(
      trees.get(12)?.map((s) => s.pid),
      [12, 13, 15],
    );
  });
});

describe('CpuMeter', () => {
  it('counts ticks since the previous scan; a reused pid or a process born since counts from its start', () => {
    const m = new CpuMeter();
    let ticks = m.update([st(5, 1, 5, 5, { utimeTicks: 500, startTicks: '100' })], 1000);
    assert.equal(ticks(st(5, 1, 5, 5)), 0, 'no baseline at the first scan');
    ticks = m.update(
      [st(5, 1, 5, 5, { utimeTicks: 530, stimeTicks: 20, startTicks: '100' }), st(6, 5, 5, 5, { utimeTicks: 7, startTicks: '1050' })],
      1100,
    );
    assert.equal(ticks(st(5, 1, 5, 5)), 50);
    assert.equal(ticks(st(6, 5, 5, 5)), 7, 'born since the previous scan: all its ticks');
    ticks = m.update([st(5, 1, 5, 5, { utimeTicks: 3, startTicks: '1150' })], 1200);
    assert.equal(ticks(st(5, 1, 5, 5)), 3, 'pid reused: the new process counts from 0');
  });
});

describe('MetricHistory', () => {
  it('keeps the last N points in order', () => {
    const h = new MetricHistory(3);
    for (let i = 1; i <= 5; i += 1) h.push(i * 1000, i, i * 10);
    assert.deepEqual(
      h.points().map((p) => p.t),
      [3000, 4000, 5000],
    );
    assert.deepEqual(
      h.points(4500).map((p) => p.memoryBytes),
      [50],
    );
  });
});

describe('MetricsSampler', () => {
  it('sums CPU % and RSS over the tree and keeps the main pid figures apart', () => {
    let now = 0;
    let utime = 0;
    const scan = (): ProcStat[] => [
      st(10, 1, 10, 10, { utimeTicks: utime, rssPages: 1000 }),
      st(11, 10, 10, 10, { utimeTicks: utime * 3, rssPages: 3000 }),
    ];
    const s = new MetricsSampler({ apps: () => [{ id: 0, name: 'a', pid: 10 }], now: () => now, scan });
    s.sample();
    now = 2000;
    utime = 50; // 50 + 150 ticks in 2 s = 100 % of one core
    const [m] = s.sample();
    assert.equal(m?.cpuPercent, 100);
    assert.equal(m?.memoryBytes, 4000 * 4096);
    assert.deepEqual(m?.main, { cpuPercent: 25, memoryBytes: 1000 * 4096 });
    assert.equal(m?.processes, 2);
    assert.equal(m?.cpuSeconds, 2);
    assert.deepEqual(s.latest(0, 10), { cpuPercent: 100, memoryBytes: 4000 * 4096 });
    assert.deepEqual(s.latest(0, 99), { cpuPercent: null, memoryBytes: null }, 'figures of another run are not reported');
    assert.equal(s.metrics(0, 'a', true).history.length, 1);
  });

  it('measures each instance of a pooled app on its own worker tree; the holder alone once; the app total is their sum', () => {
    let now = 0;
    let tick = 0;
    const scan = (): ProcStat[] => [
      st(10, 1, 10, 10, { utimeTicks: tick, rssPages: 1000 }),
      st(11, 10, 10, 10, { utimeTicks: tick * 2, rssPages: 2000 }),
      st(12, 10, 10, 10, { utimeTicks: tick * 3, rssPages: 3000 }),
    ];
    const rows: number[][] = [];
    const s = new MetricsSampler({
      apps: () => [
        {
          id: 4,
          name: 'web',
          pid: 10,
          instances: [
            { id: 4, pid: 11 },
            { id: 7, pid: 12 },
          ],
        },
      ],
      now: () => now,
      scan,
      onSample: (_apps, r) => rows.push(r.map((m) => m.memoryBytes ?? -1)),
    });
    s.sample();
    now = 1000;
    tick = 10;
    const [app] = s.sample();
    assert.equal(app?.memoryBytes, 6000 * 4096, 'the app: holder and both workers');
    assert.deepEqual(s.latest(4, 11, 'instance'), { cpuPercent: 20, memoryBytes: 2000 * 4096 });
    assert.deepEqual(s.latest(7, 12, 'instance'), { cpuPercent: 30, memoryBytes: 3000 * 4096 });
    assert.deepEqual(s.latest(4, 10, 'holder'), { cpuPercent: 10, memoryBytes: 1000 * 4096 });
    assert.deepEqual(rows.at(-1), [2000 * 4096, 3000 * 4096], 'one row per instance, the holder in none');
    assert.deepEqual(
      s.tree(7, 'instance').map((p) => p.pid),
      [12],
    );
  });

  it('reads nothing when no app runs', () => {
    let scans = 0;
    const s = new MetricsSampler({
      apps: () => [{ id: 0, name: 'a', pid: null }],
      now: () => 0,
      scan: () => {
        scans += 1;
        return [];
      },
    });
    assert.deepEqual(s.sample(), []);
    assert.equal(scans, 0);
  });

  it('samples fast only while watched', () => {
    const s = new MetricsSampler({ apps: () => [], now: () => 0, idleMs: 5000, watchedMs: 1000 });
    assert.equal(s.intervalMs, 5000);
    const stop = s.watch();
    assert.equal(s.intervalMs, 1000);
    stop();
    stop();
    assert.equal(s.intervalMs, 5000);
    s.close();
  });
});

describe('memoryOverLimit', () => {
  it('names the figure, the limit and the tree', () => {
    assert.equal(memoryOverLimit({ memoryBytes: 100, processes: 1, main: null }, 200), null);
    assert.equal(memoryOverLimit({ memoryBytes: 300, processes: 1, main: null }, null), null);
    assert.equal(
      memoryOverLimit(
        { memoryBytes: 300 * 1024 * 1024, processes: 3, main: { cpuPercent: 0, memoryBytes: 40 * 1024 * 1024 } },
        200 * 1024 * 1024,
      ),
      'memory 300.0MB over max_memory_restart 200.0MB (3 processes; main pid 40.0MB)',
    );
  });
});
