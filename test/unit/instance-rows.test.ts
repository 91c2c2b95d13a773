import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DaemonInfo } from '../../src/protocol/daemon-info.js';
import type { AppMetrics } from '../../src/protocol/metrics.js';
import type { ProcessInfo } from '../../src/protocol/process-info.js';
import { RowEvents } from '../../src/supervisor/row-events.js';
import { renderPrometheus } from '../../src/web/prometheus.js';

const row = (id: number, instance: number, pid: number | null, memoryBytes: number | null): ProcessInfo => ({
  id,
  name: 'child',
  namespace: 'default',
  pid,
  status: pid === null ? 'stopped' : 'online',
  restarts: 0,
  uptimeMs: 0,
  createdAt: 0,
  startedAt: null,
  adopted: false,
  lastExit: null,
  reason: null,
  nextRestartAt: null,
  cpuPercent: null,
  memoryBytes,
  instance,
  holderPid: 50,
});

describe('RowEvents', () => {
  it('one event per instance row; rows that went away get a last deleted event', () => {
    const seen: Array<[number, string, boolean]> = [];
    const events = new RowEvents((info, deleted) => seen.push([info.id, info.status, deleted]));
    events.changed(1, [row(1, 0, 11, null), row(2, 1, 12, null), row(3, 2, 13, null)], false);
    assert.deepEqual(seen, [
      [1, 'online', false],
      [2, 'online', false],
      [3, 'online', false],
    ]);
    seen.length = 0;
    events.changed(1, [row(1, 0, 11, null), row(2, 1, null, null)], false);
    assert.deepEqual(
      seen,
      [
        [1, 'online', false],
        [2, 'stopped', false],
        [3, 'stopped', true],
      ],
      'scaled down: instance id 3 is gone',
    );
    seen.length = 0;
    events.changed(1, [row(1, 0, null, null), row(2, 1, null, null)], true);
    assert.deepEqual(
      seen.map(([id, , deleted]) => [id, deleted]),
      [
        [1, true],
        [2, true],
      ],
    );
  });
});

describe('renderPrometheus with instances', () => {
  it("one series per instance row; the holder's own memory once, apart", () => {
    const metrics = (id: number, memoryBytes: number): AppMetrics => ({
      id,
      name: 'child',
      main: null,
      cpuPercent: 1,
      memoryBytes,
      cpuSeconds: 0,
      processes: 1,
      history: [],
    });
    const daemon: DaemonInfo = {
      pid: 1,
      version: '0',
      protocol: 1,
      home: '/h',
      startedAt: 0,
      node: 'v20',
      apps: 1,
      systemd: null,
      problems: [],
      memory: { rssBytes: 1, heapUsedBytes: 1, heapTotalBytes: 1, externalBytes: 1 },
    };
    const text = renderPrometheus({
      daemon,
      daemonCpuSeconds: 0,
      apps: [
        {
          info: row(1, 0, 11, 100),
          metrics: metrics(1, 100),
          limitRestarts: { memory: 0, cron: 0, health: 0 },
          hasHealthCheck: false,
          holder: { pid: 50, cpuPercent: 0.5, memoryBytes: 40, app: { cpuPercent: 2.5, memoryBytes: 340 } },
        },
        { info: row(2, 1, 12, 200), metrics: metrics(2, 200), limitRestarts: { memory: 0, cron: 0, health: 0 }, hasHealthCheck: false },
      ],
    });
    const mem = [...text.matchAll(/^tend_app_memory_bytes\{app="child",id="(\d+)"[^}]*\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(mem, [
      ['1', 100],
      ['2', 200],
    ]);
    const holder = [...text.matchAll(/^tend_app_holder_memory_bytes\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(holder, [40]);
    assert.equal(mem.reduce((n, [, v]) => n + (v as number), 0) + (holder[0] as number), 340, "instances plus the holder: the app's total");
  });
});
