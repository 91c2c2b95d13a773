import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTask, taskRuns, type JobJson } from '../helpers/jobs.js';
import { TendHome, isAlive, waitFor } from '../helpers/tend.js';

// A scheduled job's last run and next time outlive the daemon (jobs.json), through a kill -9.
describe('scheduled jobs across a daemon kill -9', () => {
  let t: TendHome;
  const runs = (name: string): string[] => taskRuns(t, name);
  const job = async (name: string): Promise<JobJson> => (await t.app(name)) as JobJson;
  const start = (name: string, ...args: string[]): Promise<unknown> => startTask(t, name, ...args);
  const killDaemon = async (): Promise<void> => {
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
  };
  const lastRunOf = (name: string): Promise<JobJson> =>
    waitFor(
      async () => {
        const j = await job(name);
        return j.job?.lastRun != null && j.pid === null ? j : undefined;
      },
      `a last run of ${name}`,
      20_000,
      100,
    );
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('the last run and the next time are the same after the restart (an interval keeps its phase)', async () => {
    await start('hourly', '--schedule-interval', '1h', '--env', 'TASK_MS=50', '--env', 'TASK_CODE=3');
    assert.equal((await t.run(['trigger', 'hourly'])).code, 0);
    const before = await lastRunOf('hourly');
    assert.equal(before.job?.lastRun?.code, 3);
    await killDaemon();
    const after = await job('hourly');
    assert.deepEqual(after.job?.lastRun, before.job?.lastRun);
    assert.equal(after.job?.nextRunAt, before.job?.nextRunAt, 'the next time is kept, not one interval from the restart');
    assert.equal(after.job?.missed, 0);
    const d = (await t.run(['describe', 'hourly'])).stdout;
    assert.match(d, /last run\s+\S+, exit code 3, took/);
  });

  it('a run that ends while no daemon runs is its last run after the restart', async () => {
    await start('slow', '--schedule', '0 0 1 1 *', '--env', 'TASK_MS=1500');
    assert.equal((await t.run(['trigger', 'slow'])).code, 0);
    const running = await waitFor(
      async () => {
        const j = await job('slow');
        return j.status === 'online' && j.startedAt !== null ? j : undefined;
      },
      'slow running',
      10_000,
    );
    t.track(running.pid as number);
    await killDaemon();
    await waitFor(() => runs('slow').length === 1 && !isAlive(running.pid as number), 'the run to end while no daemon runs', 20_000, 50);
    const after = await lastRunOf('slow');
    assert.equal(after.job?.lastRun?.startedAt, running.startedAt, 'the run the previous daemon started');
    assert.ok((after.job?.lastRun?.durationMs ?? 0) >= 1500);
  });

  it('a run the daemon died right after spawning, that ended before the next daemon came: run once, never again', async () => {
    await start('once', '--schedule', '0 0 1 1 *', '--env', 'TASK_MS=300');
    // A daemon that kills itself once the run's pid is journaled, before state.json holds it.
    const restarted = await t.run(['daemon', 'restart'], { env: { ...t.env, TEND_TEST_KILL_AT: 'after-spawned:1' } });
    assert.equal(restarted.code, 0, restarted.stderr);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    await t.run(['trigger', 'once']);
    await waitFor(() => !isAlive(daemon), 'the daemon to kill itself after the spawn');
    await waitFor(() => runs('once').length === 1 || undefined, 'the run to end while no daemon runs', 20_000, 50);
    const after = await lastRunOf('once');
    assert.ok(after.job?.lastRun != null, 'the run that ended meanwhile is the last run');
    assert.equal(runs('once').length, 1, 'not started again by the restore');
    assert.doesNotMatch(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /"event":"restored","adopted":\d+,"restarted":[1-9]/);
  });

  it('due times that pass while no daemon runs are counted as missed, not caught up; the phase is kept', async () => {
    const every = 3000;
    await start('often', '--schedule-interval', '3s', '--env', 'TASK_MS=1000');
    const first = (await job('often')).job?.nextRunAt as number;
    assert.ok(first > Date.now());
    await killDaemon();
    // Two due times pass with no daemon (a condition on the clock, not on the app).
    await waitFor(() => Date.now() > first + every + 300 || undefined, 'two due times to pass', 20_000, 100);
    const after = await job('often');
    const checkedAt = Date.now();
    const next = after.job?.nextRunAt as number;
    assert.ok((after.job?.missed ?? 0) >= 2, JSON.stringify(after.job));
    assert.equal((next - first) % every, 0, 'the next time keeps the interval phase');
    assert.ok(next > first + every);
    // Not caught up: no run started at the restart (a run of the next time writes 1 s after it starts).
    if (checkedAt < next + 1000) assert.equal(runs('often').length, 0);
    assert.match((await t.run(['describe', 'often'])).stdout, /\d+ missed \(tend was down\)/);
    assert.equal((await t.run(['stop', 'often'])).code, 0);
  });

  it('a corrupt jobs.json is set aside; the daemon starts and the jobs run on', async () => {
    await killDaemon();
    writeFileSync(join(t.home, 'jobs.json'), '{"version":1,"jobs":[{"id":');
    const hourly = await job('hourly');
    assert.equal(hourly.job?.lastRun, null, 'nothing usable was kept');
    assert.ok(readdirSync(t.home).some((f) => f.startsWith('jobs.json.bad-')));
    assert.equal((await t.run(['trigger', 'hourly'])).code, 0);
    await lastRunOf('hourly');
    await waitFor(() => {
      const saved = JSON.parse(readFileSync(join(t.home, 'jobs.json'), 'utf8')) as { jobs: Array<{ lastRun: unknown }> };
      return saved.jobs.some((j) => j.lastRun !== null) || undefined;
    }, 'a new jobs.json');
  });
});
