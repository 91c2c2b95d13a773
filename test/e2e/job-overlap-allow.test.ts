import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTask, taskRuns, type JobJson } from '../helpers/jobs.js';
import { TendHome, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

// overlap: allow: a due time while a run goes starts another run alongside, as an app `<job>~N`.
describe('scheduled jobs with overlap: allow', () => {
  let t: TendHome;
  const runs = (name: string): string[] => taskRuns(t, name);
  const all = async (): Promise<JobJson[]> => (await t.list()) as JobJson[];
  const start = (name: string, ...args: string[]): Promise<unknown> => startTask(t, name, '--overlap', 'allow', ...args);
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('runs go side by side up to 4, each its own app with a pid and a log; they end, count as the last run and go away', async () => {
    await start('side', '--schedule-interval', '1s', '--env', 'TASK_MS=6000');
    const full = await waitFor(
      async () => {
        const rows = await all();
        const job = rows.find((r) => r.name === 'side');
        return (job?.job?.alongside?.length ?? 0) === 3 && job?.status === 'online' ? { rows, job } : undefined;
      },
      'four runs at once',
      30_000,
      100,
    );
    const extra = full.rows.filter((r) => r.name.startsWith('side~'));
    assert.equal(extra.length, 3, full.rows.map((r) => r.name).join(' '));
    for (const r of extra) t.remember(r);
    const pids = new Set([full.job.pid, ...extra.map((r) => r.pid)]);
    assert.equal(pids.size, 4, 'four processes');
    assert.deepEqual(
      new Set(full.job.job?.alongside?.map((a) => a.pid)),
      new Set(extra.map((r) => r.pid)),
      'the job lists the pids of its runs alongside',
    );
    // At the cap, a due time is skipped (counted) instead of starting a fifth run.
    await waitFor(
      async () => {
        const j = (await all()).find((r) => r.name === 'side');
        return (j?.job?.skipped ?? 0) >= 1 || undefined;
      },
      'a skip at the cap',
      20_000,
      500,
    );
    const d = (await t.run(['describe', 'side'])).stdout;
    assert.match(d, /runs going\s+\d: pid \S+ \(this app\), pid \d+ \(side~\d\)/);
    // Each run's output goes to its own log; the job's log says where.
    const name = extra[0]?.name as string;
    await waitFor(
      () => {
        const file = join(t.home, 'logs', `${name.replace('~', '-')}-out.log`);
        return existsSync(file) && readFileSync(file, 'utf8').includes('task done, exiting with 0') ? true : undefined;
      },
      `the log of ${name}`,
      20_000,
      100,
    );
    const log = (await t.run(['logs', 'side', '--lines', '200', '--no-follow', '--out'])).stdout;
    assert.match(log, /\[tend\] run started \(schedule\) at \S+ alongside the running one, as side~\d; its output: \S+side-\d-out\.log/);
    // Never saved (resurrect would run them again) nor exported: they are the job's.
    const saved = await t.json<{ apps: string[] }>(['save']);
    assert.deepEqual(saved.apps, ['side']);
    const units = await t.json<{ units: Array<{ app: string }> }>(['export', 'systemd', 'all', '--out', join(t.home, 'units')]);
    assert.deepEqual(
      units.units.map((u) => u.app),
      ['side'],
    );
    // tend stop stops the job's run and the ones alongside; each run alongside is removed once it ended.
    const stopped = await t.json<ProcessJson[]>(['stop', 'side']);
    assert.ok(
      stopped.some((r) => r.name.startsWith('side~')),
      stopped.map((r) => r.name).join(' '),
    );
    assert.equal((await t.run(['delete', 'side'])).code, 0);
    await waitFor(
      async () => (await all()).every((r) => !r.name.startsWith('side')) || undefined,
      'the job and its runs gone',
      20_000,
      100,
    );
    for (const pid of pids) assert.equal(isAlive(pid as number), false, `pid ${pid} ended`);
  });

  it('a daemon kill -9 while runs go side by side: they are adopted, end once each, and nothing is run twice', async () => {
    await start('adopt', '--schedule', '0 0 1 1 *', '--env', 'TASK_MS=2500');
    assert.equal((await t.run(['trigger', 'adopt'])).code, 0);
    await waitFor(async () => (await all()).find((r) => r.name === 'adopt')?.status === 'online' || undefined, 'the first run');
    assert.equal((await t.run(['trigger', 'adopt'])).stdout.trim(), 'adopt: started');
    const going = await waitFor(
      async () => {
        const rows = await all();
        const runs2 = rows.filter((r) => r.name.startsWith('adopt') && r.pid !== null);
        return runs2.length === 2 ? runs2 : undefined;
      },
      'two runs',
      10_000,
    );
    for (const r of going) t.remember(r);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const adopted = (await all()).filter((r) => r.name.startsWith('adopt') && r.pid !== null);
    assert.deepEqual(
      adopted.map((r) => [r.pid, r.adopted]).sort(),
      going.map((r) => [r.pid, true]).sort(),
      'both runs adopted by the new daemon',
    );
    await waitFor(
      async () => (await all()).filter((r) => r.name.startsWith('adopt')).length === 1 || undefined,
      'the run alongside removed',
      30_000,
      100,
    );
    const job = (await all()).find((r) => r.name === 'adopt') as JobJson;
    assert.notEqual(job.job?.lastRun, null);
    assert.equal(runs('adopt').length, 2, 'two runs, each once');
  });
});
