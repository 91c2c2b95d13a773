import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { fixture, waitFor } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';
import { SystemdLab, labName, labSkipReason } from '../helpers/systemd-lab.js';

// A scheduled job exported as a .timer + .service, run by a real systemd (test/lab/systemd-lab.sh,
// root only). Without the lab every test is skipped (and counted); under CI=true each fails.
const req = needs(labSkipReason());

interface Exported {
  dir: string;
  units: Array<{ app: string; unit: string; file: string; timer?: string }>;
}

describe('scheduled jobs exported to systemd run on their schedule in a real systemd', () => {
  const lab = new SystemdLab(labName('jobs'));
  const home = join(lab.work, 'home');
  const out = join(lab.work, 'units');
  const runsFile = (name: string): string => join(lab.work, `${name}.runs`);
  const runs = (name: string): string[] =>
    existsSync(runsFile(name)) ? readFileSync(runsFile(name), 'utf8').split('\n').filter(Boolean) : [];
  const tend = (args: string[]) => lab.tend(args, { home });
  req.before(async () => {
    console.log(`# lab booted in ${await lab.start()}s`);
  });
  req.after(async () => {
    await lab.stop();
  });

  /** The Unix times (s) at which systemd started `unit`, from its own journal lines. */
  async function startTimes(unit: string): Promise<number[]> {
    const text = await lab.ok(['journalctl', '--no-pager', '-o', 'short-unix', '_PID=1', `UNIT=${unit}`]);
    return [...text.matchAll(/^(\d+\.\d+) \S+ systemd\[1\]: Starting /gm)].map((m) => Number(m[1]));
  }

  /**
   * Starts fixture task.js as job `name` in tend, exports it, hands it over to systemd (deleted
   * from tend, timer and service installed and the timer enabled) and waits for three runs by
   * systemd; the times systemd started it.
   */
  async function handOver(name: string, schedule: string[]): Promise<number[]> {
    const started = await tend([
      'start',
      fixture('task.js'),
      '--name',
      name,
      ...schedule,
      '--env',
      `TASK_FILE=${runsFile(name)}`,
      '--env',
      'TASK_MS=50',
      '--json',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const exported = await tend(['export', 'systemd', name, '--out', out, '--json']);
    assert.equal(exported.code, 0, exported.stderr);
    const unit = (JSON.parse(exported.stdout) as Exported).units[0];
    assert.ok(typeof unit?.timer === 'string', exported.stdout);
    // Handed over to systemd: tend runs it no more.
    assert.equal((await tend(['delete', name])).code, 0);
    const before = runs(name).length;
    await lab.ok(['cp', unit.file, unit.timer, '/etc/systemd/system/']);
    await lab.ok(['systemctl', 'daemon-reload']);
    await lab.ok(['systemctl', 'enable', '--now', `${name}.timer`]);
    await waitFor(() => runs(name).length >= before + 3, 'three runs by systemd', 40_000, 200);
    const times = await startTimes(`${name}.service`);
    assert.ok(times.length >= 3, `systemd started ${name}.service ${times.length} times`);
    // Where the export says its output goes: the journal, under the unit's SyslogIdentifier.
    assert.match(await lab.ok(['journalctl', '--no-pager', '-o', 'cat', '-t', name]), /task done, exiting with 0/);
    return times;
  }

  req.it('a cron job (every 5 s): the timer starts its oneshot service on the schedule; output in the journal', async () => {
    const times = await handOver('tick', ['--schedule', '*/5 * * * * *']);
    // On the schedule: at second 0, 5, 10, … of the minute (AccuracySec=1s allows up to a second late).
    for (const t of times) assert.ok(t % 5 < 1.5, `a start at ${t} is off the */5 schedule`);
    const show = await lab.ok(['systemctl', 'show', '-p', 'Type', '-p', 'Result', 'tick.service']);
    assert.match(show, /^Type=oneshot$/m);
    assert.match(show, /^Result=success$/m);
  });

  req.it('an interval job (every 3 s, run at start) runs at once, then every 3 s', async () => {
    const times = await handOver('every', ['--schedule-interval', '3s', '--run-at-start']);
    // OnUnitActiveSec=3s counts from the last start: each start ~3 s after the one before.
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      assert.ok(gap > 2.5 && gap < 4.6, `gap ${gap.toFixed(2)} s between runs`);
    }
  });
});

if (req.missing !== null) console.log(`# job-systemd tests skipped: ${req.missing}`);
