import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderAppUnit, type AppUnitOptions } from '../../src/exporters/app-unit.js';
import { fiveFieldCron, onCalendar } from '../../src/exporters/job-schedule.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import { needs } from '../helpers/needs.js';

const OPTS: AppUnitOptions = {
  resolveProgram: (n) => `/usr/bin/${n}`,
  envFilePath: (u) => `/etc/tend/${u}.env`,
  user: null,
  rootless: false,
  generator: 'test',
};

describe('scheduled jobs exported', () => {
  it('cron patterns become OnCalendar=, and what systemd cannot follow is refused', () => {
    assert.equal(onCalendar('0 6 * * 1-5').calendar, 'Mon..Fri *-*-* 06:00:00');
    assert.equal(onCalendar('*/15 * * * *').calendar, '*-*-* *:00/15:00');
    assert.equal(onCalendar('30 2 1 * *').calendar, '*-*-1 02:30:00');
    assert.equal(onCalendar('*/10 * * * * *').calendar, '*-*-* *:*:00/10');
    assert.equal(onCalendar('0 0 * * sun,wed').calendar, 'Sun,Wed *-*-* 00:00:00');
    assert.equal(onCalendar('@daily').calendar, 'daily');
    assert.match(onCalendar('0 0 1 * 1').why ?? '', /both the day of the month and the day of the week/);
    assert.match(onCalendar('1-10/2 * * * *').why ?? '', /no OnCalendar= equivalent/);
    assert.deepEqual(fiveFieldCron({ scheduleIntervalMs: 6 * 3_600_000 }), { cron: '0 */6 * * *', why: null });
    assert.match(fiveFieldCron({ schedule: '*/5 * * * * *' }).why ?? '', /seconds field/);
  });

  it('a job is a oneshot service without [Install], plus a timer; an interval uses OnUnitActiveSec=', () => {
    const u = renderAppUnit(sampleSpec({ name: 'report', task: true, schedule: '0 6 * * 1-5', overlap: 'queue' }), OPTS);
    assert.match(u.unit, /^Type=oneshot$/m);
    assert.match(u.unit, /^Restart=no$/m);
    assert.doesNotMatch(u.unit, /\[Install\]/);
    assert.match(u.timer ?? '', /^OnCalendar=Mon\.\.Fri \*-\*-\* 06:00:00$/m);
    assert.match(u.timer ?? '', /^Persistent=false$/m);
    assert.match(u.timer ?? '', /^Unit=report\.service$/m);
    assert.match(u.timer ?? '', /overlap: queue is not mapped/);
    const every = renderAppUnit(sampleSpec({ name: 'sync', task: true, scheduleIntervalMs: 600_000, runAtStart: true }), OPTS);
    assert.match(every.timer ?? '', /^OnActiveSec=0$/m);
    assert.match(every.timer ?? '', /^OnUnitActiveSec=600s$/m);
    const allow = renderAppUnit(sampleSpec({ name: 'many', task: true, scheduleIntervalMs: 60_000, overlap: 'allow' }), OPTS);
    assert.match(allow.timer ?? '', /overlap: allow is not mapped/);
    assert.equal(renderAppUnit(sampleSpec({ name: 'web' }), OPTS).timer, null);
    assert.throws(() => renderAppUnit(sampleSpec({ name: 'odd', task: true, schedule: '0 0 1 * 1' }), OPTS), /cannot export its schedule/);
  });

  const analyze = needs(
    (() => {
      try {
        execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
        return null;
      } catch {
        return 'systemd-analyze is not installed';
      }
    })(),
  );
  analyze.it('systemd-analyze accepts every calendar and verifies the service and timer', async () => {
    for (const p of ['0 6 * * 1-5', '*/15 * * * *', '30 2 1 * *', '*/10 * * * * *', '0 0 * * sun,wed', '0 12 1,15 1-6 *']) {
      const cal = onCalendar(p).calendar as string;
      execFileSync('systemd-analyze', ['calendar', cal], { stdio: 'pipe' });
    }
    const dir = mkdtempSync(join(tmpdir(), 'tend-timer-'));
    try {
      const u = renderAppUnit(sampleSpec({ name: 'report', task: true, schedule: '*/15 * * * *' }), OPTS);
      writeFileSync(join(dir, 'report.service'), u.unit);
      writeFileSync(join(dir, 'report.timer'), u.timer ?? '');
      const stderr = await new Promise<string>((resolve) => {
        execFile(
          'systemd-analyze',
          ['verify', '--man=no', join(dir, 'report.timer'), join(dir, 'report.service')],
          { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } },
          (_e, _o, err) => resolve(err),
        );
      });
      assert.equal(stderr.trim(), '', stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
