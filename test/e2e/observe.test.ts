import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Observed extends ProcessJson {
  cpuPercent: number | null;
  memoryBytes: number | null;
  health: string | null;
}
interface Detail extends Observed {
  tree: Array<{ pid: number; ppid: number; command: string; cpuPercent: number | null; memoryBytes: number }>;
  limitRestarts: { memory: number; cron: number; health: number };
  lastLimitRestart: { reason: string; at: number } | null;
  nextCronAt: number | null;
  lastHealthCheck: { ok: boolean; message: string } | null;
}

describe('metrics, limits and health checks against real processes', () => {
  let t: TendHome;
  // Fast sampling so the test waits on conditions, not on a 5 s interval.
  before(() => {
    t = new TendHome({ TEND_SAMPLE_IDLE_MS: '200' });
  });
  after(async () => {
    await t.cleanup();
  });

  const describeApp = async (name: string): Promise<Detail> => (await t.json<Detail[]>(['describe', name]))[0] as Detail;

  it('list shows CPU and memory summed over the whole tree; describe lists the tree', async () => {
    await t.json(['start', fixture('fork-grandchild.js'), '--name', 'tree']);
    const app = await waitFor(async () => {
      const a = (await t.list()).find((p) => p.name === 'tree') as Observed | undefined;
      return a?.cpuPercent !== null && a?.memoryBytes !== null ? a : undefined;
    }, 'cpu and mem in list');
    const d = await waitFor(async () => {
      const x = await describeApp('tree');
      return x.tree.length >= 4 ? x : undefined;
    }, 'the four processes of the tree');
    assert.equal(d.tree[0]?.pid, d.pid);
    assert.ok(
      d.tree.some((p) => p.command.endsWith('escaped')),
      'the setsid child is part of the tree',
    );
    // The tree's RSS is the sum of its processes, well above the main pid's own.
    assert.ok((app.memoryBytes as number) > 0);
    assert.ok((d.memoryBytes as number) > (d.tree[0]?.memoryBytes as number) * 2);
    const text = await t.run(['describe', 'tree']);
    assert.match(text.stdout, /memory\s+[\d.]+MB \(main pid [\d.]+MB, 4 processes\)/);
    await t.run(['delete', 'tree']);
  });

  it('max_memory_restart restarts an app whose child grows past the limit, with the figure logged', async () => {
    const [first] = await t.json<ProcessJson[]>(['start', fixture('leak-memory.js'), '--name', 'leaky', '--max-memory-restart', '150M']);
    const d = await waitFor(
      async () => {
        const x = await describeApp('leaky');
        return x.limitRestarts.memory >= 1 && x.status === 'online' && x.pid !== first?.pid ? x : undefined;
      },
      'a memory restart',
      20_000,
    );
    assert.ok(d.restarts >= 1);
    assert.match(d.lastLimitRestart?.reason ?? '', /^memory [\d.]+MB over max_memory_restart 150\.0MB \(2 processes; main pid [\d.]+MB\)$/);
    const log = readFileSync(join(t.home, 'daemon.log'), 'utf8');
    assert.match(log, /"event":"limit-restart","id":\d+,"name":"leaky".*"kind":"memory"/);
    await t.run(['delete', 'leaky']);
  });

  it("max_memory_restart of a cluster app is each worker's: the one over it is replaced alone, the sum never counts", async () => {
    const port = await freePort();
    const go = join(t.home, 'leak-now');
    const [first] = await t.json<ProcessJson[]>([
      'start',
      fixture('leak-server.js'),
      '--name',
      'cl',
      '--instances',
      '2',
      '--exec-mode',
      'cluster',
      '--max-memory-restart',
      '100M',
      '--env',
      `PORT=${port}`,
      '--env',
      `LEAK_WHEN=${go}`,
    ]);
    // Holder and workers together are over 100 MB, each worker under it: nothing is restarted.
    // (The limit is checked in the same pass that publishes the figures `list` shows.)
    type Total = Detail & { holder?: { app: { memoryBytes: number | null } } };
    const sampled = await waitFor(
      async () => {
        const rows = ((await t.list()) as Array<ProcessJson & { memoryBytes: number | null }>).filter((r) => r.name === 'cl');
        const total = (await describeApp('cl')) as Total;
        const sum = total.holder?.app.memoryBytes ?? 0;
        return rows.length === 2 && rows.every((r) => r.status === 'online' && typeof r.memoryBytes === 'number') && sum > 100 * 1024 * 1024
          ? rows
          : undefined;
      },
      'both workers sampled, the app in total over the limit',
      30_000,
    );
    const quiet = await describeApp('cl');
    assert.equal(quiet.limitRestarts.memory, 0, `no worker is over it: ${JSON.stringify(quiet.lastLimitRestart)}`);
    assert.doesNotMatch(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /"event":"limit-restart","id":\d+,"name":"cl"/);
    // Now the workers leak: each one over the limit is replaced, the holder (and its port) stay.
    writeFileSync(go, '');
    await waitFor(async () => (await describeApp('cl')).limitRestarts.memory >= 1, 'a memory-triggered worker restart', 30_000);
    const log = readFileSync(join(t.home, 'daemon.log'), 'utf8');
    assert.match(log, /"event":"limit-restart","id":\d+,"name":"cl","instanceId":\d+,"kind":"memory".*"how":"restart-instance"/);
    const holderOf = (p: unknown): unknown => (p as { holderPid?: number } | undefined)?.holderPid;
    assert.ok(typeof holderOf(first) === 'number');
    assert.equal(holderOf(await t.app('cl')), holderOf(first), 'the holder (and its port) stayed');
    assert.ok(sampled.length === 2);
    await t.run(['delete', 'cl']);
  });

  it('cron_restart restarts on schedule and shows the next run', async () => {
    await t.json(['start', '--name', 'cron', '--cron-restart', '*/1 * * * * *', '--', 'sleep', '1000']);
    const d = await waitFor(async () => {
      const x = await describeApp('cron');
      // Counted when decided; `restarts` counts once the new process runs.
      return x.limitRestarts.cron >= 2 && x.restarts >= 2 ? x : undefined;
    }, 'two cron restarts');
    assert.ok(d.nextCronAt !== null && d.nextCronAt > Date.now() - 2000);
    await t.run(['delete', 'cron']);
  });

  it('refuses an invalid cron pattern or health check at start with a one-line error', async () => {
    const bad = await t.run(['start', '--name', 'x', '--cron-restart', '99 * * * *', '--', 'sleep', '1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cron_restart/);
    const badHealth = await t.run(['start', '--name', 'x', '--health', 'ftp://nope', '--', 'sleep', '1']);
    assert.equal(badHealth.code, 2);
    assert.match(badHealth.stderr, /health/);
  });

  it('a health check marks an app healthy, and restarts it when its event loop hangs', async () => {
    const port = await freePort();
    const health = JSON.stringify({
      http: `http://127.0.0.1:${port}/health`,
      interval: '300ms',
      timeout: '200ms',
      retries: 2,
      start_period: '20s',
    });
    const cfg = join(t.home, 'hang.config.json');
    await import('node:fs').then((fs) =>
      fs.writeFileSync(
        cfg,
        JSON.stringify({
          apps: [
            {
              name: 'hang',
              script: fixture('hang-after.js'),
              env: { PORT: String(port), HANG_AFTER_MS: '1500' },
              health: JSON.parse(health),
            },
          ],
        }),
      ),
    );
    const [started] = await t.json<ProcessJson[]>(['start', cfg]);
    await waitFor(async () => ((await t.app('hang')) as Observed).health === 'healthy', 'healthy');
    const d = await waitFor(
      async () => {
        const x = await describeApp('hang');
        return x.limitRestarts.health >= 1 && x.pid !== null && x.pid !== started?.pid ? x : undefined;
      },
      'a health restart and its new process',
      15_000,
    );
    assert.match(d.lastLimitRestart?.reason ?? '', /health check failed 2 times in a row \(no answer within 200 ms\)/);
    await t.run(['delete', 'hang']);
  });

  it('with wait_ready, the first passing health check makes the app online', async () => {
    const port = await freePort();
    const [p] = await t.json<Observed[]>([
      'start',
      fixture('hang-after.js'),
      '--name',
      'slow',
      '--wait-ready',
      '--listen-timeout',
      '20s',
      '--health',
      `tcp:${port}`,
      '--env',
      `PORT=${port}`,
      '--env',
      'READY_DELAY_MS=700',
    ]);
    // start returns once the app is ready: the port answers now.
    assert.equal(p?.status, 'online');
    assert.equal(p?.health, 'healthy');
    const d = await describeApp('slow');
    assert.equal(d.lastHealthCheck?.ok, true);
    await t.run(['delete', 'slow']);
  });
});
