import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTask, taskRuns, type JobJson } from '../helpers/jobs.js';
import { TendHome, fixture, waitFor } from '../helpers/tend.js';

describe('scheduled jobs', () => {
  let t: TendHome;
  const runs = (name: string): string[] => taskRuns(t, name);
  const job = async (name: string): Promise<JobJson> => (await t.app(name)) as JobJson;
  const start = (name: string, ...args: string[]): Promise<unknown> => startTask(t, name, ...args);
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('an interval job does not run at start, then runs on time; list and describe show the last and next run', async () => {
    await start('tick', '--schedule-interval', '2s', '--env', 'TASK_MS=100');
    const first = await job('tick');
    assert.equal(first.status, 'stopped');
    assert.equal(runs('tick').length, 0, 'not run at start');
    assert.ok((first.job?.nextRunAt ?? 0) > Date.now(), 'the next run is in the future');
    await waitFor(() => runs('tick').length >= 2, 'two runs', 20_000, 100);
    const j = await waitFor(
      async () => {
        const x = await job('tick');
        return x.job?.lastRun != null ? x : undefined;
      },
      'a last run',
      10_000,
    );
    assert.equal(j.job?.lastRun?.code, 0);
    assert.ok((j.job?.lastRun?.durationMs ?? 0) >= 100);
    assert.equal(j.restarts, 0, 'a run is not a restart');
    assert.match((await t.run(['list'])).stdout, /job \(last, next\)[\s\S]*tick[^\n]*exit 0 in [^,]+, next \d\d:\d\d:\d\d/);
    const d = (await t.run(['describe', 'tick'])).stdout;
    assert.match(d, /schedule\s+every 2s, overlap skip; missed runs are not caught up/);
    assert.match(d, /last run\s+\S+, exit code 0, took/);
    // Each run's output follows a header line in the app's log.
    const log = (await t.run(['logs', 'tick', '--lines', '100', '--no-follow', '--out'])).stdout;
    assert.ok((log.match(/\[tend\] run started \(schedule\) at /g) ?? []).length >= 2, log);
    assert.match(log, /\[tend\] run started \(schedule\)[^\n]*\n[^\n]*task done, exiting with 0/);
  });

  it('overlap skip skips due times while a run runs; overlap queue runs one more right after', async () => {
    await start('slowskip', '--schedule-interval', '1s', '--env', 'TASK_MS=2600');
    await start('slowqueue', '--schedule-interval', '1s', '--env', 'TASK_MS=1500', '--overlap', 'queue');
    const skipped = await waitFor(
      async () => {
        const x = await job('slowskip');
        return (x.job?.skipped ?? 0) >= 2 ? x : undefined;
      },
      'skipped due times',
      20_000,
      200,
    );
    assert.equal(skipped.status, 'online', 'still on its first run');
    await waitFor(async () => (await job('slowqueue')).job?.queued === true, 'a queued run', 20_000, 100);
    await waitFor(() => runs('slowqueue').length >= 2, 'the queued run', 20_000, 100);
    assert.equal((await job('slowqueue')).job?.skipped, 0, 'queue never skips');
    assert.equal((await t.run(['stop', 'slowskip', 'slowqueue'])).code, 0);
  });

  it('trigger and start run a job now; trigger while it runs follows overlap; run_at_start runs at once; a cron schedule with seconds runs', async () => {
    await start('yearly', '--schedule', '0 0 1 1 *', '--env', 'TASK_MS=2000');
    assert.equal(runs('yearly').length, 0);
    const r = await t.run(['trigger', 'yearly']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'yearly: started');
    await waitFor(async () => (await job('yearly')).status === 'online', 'yearly running', 10_000);
    const again = await t.run(['trigger', 'yearly']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /yearly: skipped \(the previous run is still running\)/);
    await waitFor(() => runs('yearly').length === 1, 'one run of yearly', 20_000, 100);
    await waitFor(async () => (await job('yearly')).status === 'stopped', 'yearly done', 10_000);
    assert.equal((await t.run(['start', 'yearly'])).code, 0);
    await waitFor(() => runs('yearly').length === 2, 'tend start ran it', 20_000, 100);
    const plain = await t.run(['trigger', 'tick-not-a-job']);
    assert.notEqual(plain.code, 0);
    await t.json(['start', fixture('forever.js'), '--name', 'server']);
    const notJob = await t.run(['trigger', 'server']);
    assert.equal(notJob.code, 2);
    assert.match(notJob.stderr, /not a scheduled job/);

    await start('eager', '--schedule', '0 0 1 1 *', '--run-at-start', '--env', 'TASK_MS=50');
    await waitFor(() => runs('eager').length === 1, 'run_at_start ran it', 10_000, 50);
    await start('secs', '--schedule', '*/2 * * * * *', '--env', 'TASK_MS=50');
    await waitFor(() => runs('secs').length >= 2, 'two runs of a seconds schedule', 20_000, 100);
  });

  it('save keeps a job between runs and a completed task; resurrect brings the job back without running it', async () => {
    await start('later', '--schedule', '0 0 1 1 *');
    const saved = await t.run(['save']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /later/);
    assert.equal((await t.run(['kill'])).code, 0);
    const r = await t.run(['resurrect']);
    assert.equal(r.code, 0, r.stderr);
    const later = await job('later');
    assert.equal(later.status, 'stopped');
    assert.equal(runs('later').length, 0, 'resurrect does not run it (missed runs are not caught up)');
    assert.ok((later.job?.nextRunAt ?? 0) > Date.now());
  });

  it("a file that changes a waiting job's schedule updates it, runs nothing and says `updated`", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-job-file-'));
    try {
      const file = join(dir, 'jobs.config.json');
      const write = (schedule: string): void =>
        writeFileSync(
          file,
          JSON.stringify({
            apps: [{ name: 'filed', script: fixture('task.js'), schedule, env: { TASK_FILE: join(t.home, 'filed.runs') } }],
          }),
        );
      write('0 0 1 1 *');
      assert.equal((await t.run(['apply', file])).code, 0);
      const first = await job('filed');
      write('0 0 2 1 *');
      const r = await t.run(['apply', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^filed: updated$/m);
      const d = (await t.run(['describe', 'filed'])).stdout;
      assert.match(d, /schedule\s+0 0 2 1 \*,/);
      const updated = await job('filed');
      assert.equal(updated.job?.nextRunAt, (first.job?.nextRunAt ?? 0) + 24 * 3600 * 1000, 'the next run is a day later');
      assert.equal(updated.status, 'stopped');
      // The same file again: nothing to take.
      const again = await t.json<Array<{ name: string; action: string }>>(['reload', file]);
      assert.deepEqual(
        again.map((a) => a.action),
        ['unchanged'],
      );
      assert.equal(runs('filed').length, 0, 'never run');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad schedules are refused with exit code 2', async () => {
    for (const [args, re] of [
      [['--schedule', 'not cron'], /schedule/],
      [['--schedule', '* * * * *', '--schedule-interval', '1m'], /not both/],
      [['--schedule-interval', '10ms'], /at least 1s/],
      [['--schedule-interval', '1m', '--overlap', 'sometimes'], /overlap/],
    ] as Array<[string[], RegExp]>) {
      const r = await t.run(['start', fixture('task.js'), '--name', 'bad', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, re);
    }
  });
});
