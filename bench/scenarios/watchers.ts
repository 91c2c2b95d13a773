import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../../test/helpers/chromium.js';
import { fixture, tendBin } from '../lib/paths.js';
import { cpuSeconds } from '../lib/proc.js';
import { alternate, appNames, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';

const APPS = 20;
const WINDOW_S = 20;
const monitCpu = `tend monit CPU, ${APPS} apps, 80×24 (tmux)`;
const fcp = 'dashboard first contentful paint (chromium, headless)';
const weight = 'dashboard page weight (HTML + JS + CSS)';

/** tend only: what watching costs (monit's own CPU) and what the dashboard weighs and paints. */
export const watchers: Scenario = {
  name: 'watchers',
  description: `tend monit's own CPU over ${WINDOW_S} s with ${APPS} apps (1 s updates), and the dashboard's weight and first paint (tend only: PM2's web dashboard was removed; pm2 monit needs a TTY)`,
  defaultRounds: 1,
  metrics: [
    { metric: monitCpu, unit: '% core' },
    { metric: fcp, unit: 'ms' },
    { metric: weight, unit: 'KB' },
  ],
  async run(ctx, rec) {
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      tool.name !== 'tend'
        ? Promise.resolve()
        : withSession(tool, async (s) => {
            await s.ensureDaemon();
            // The first app (the one monit shows) logs 50 lines a second; the others idle.
            await s.start('app-log', fixture('ticker.js'));
            const names = appNames(APPS - 1);
            await s.startMany(names, fixture('idle.js'), 4);
            await s.waitOnline(['app-log', ...names], 60_000, 200);
            if (spawnSync('tmux', ['-V']).status === 0) await measureMonit(s, rec);
            if (existsSync(CHROMIUM)) await measureDashboard(s, rec);
          }),
    );
  },
};

/** monit's own CPU over WINDOW_S seconds, drawn in a detached 80×24 tmux session. */
async function measureMonit(s: Session, rec: Recorder): Promise<void> {
  const sock = `tend-bench-monit-${process.pid}`;
  try {
    execFileSync('tmux', [
      '-L',
      sock,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'm',
      '-x',
      '80',
      '-y',
      '24',
      `exec env TEND_HOME=${s.home} ${process.execPath} ${tendBin} monit`,
    ]);
    const pid = Number(execFileSync('tmux', ['-L', sock, 'display-message', '-p', '-t', 'm', '#{pane_pid}']).toString().trim());
    s.track(pid);
    await waitFor(
      'monit to draw',
      () => execFileSync('tmux', ['-L', sock, 'capture-pane', '-p', '-t', 'm']).toString().includes('app-log'),
      15_000,
      100,
    );
    await delay(2000);
    const before = cpuSeconds(pid);
    await delay(WINDOW_S * 1000);
    rec.add(monitCpu, 'tend', ((cpuSeconds(pid) - before) / WINDOW_S) * 100);
  } finally {
    spawnSync('tmux', ['-L', sock, 'kill-server']);
  }
}

/** The dashboard's first contentful paint and page weight, three loads in headless chromium. */
async function measureDashboard(s: Session, rec: Recorder): Promise<void> {
  const web = JSON.parse((await s.cliOk(['web', '--port', '0', '--json'])).stdout) as { url: string; token: string };
  const browser = await launchChromium();
  try {
    for (let i = 0; i < 3; i += 1) {
      const page = await browser.newPage();
      await page.goto(`${web.url}#token=${web.token}`);
      await page.waitForSelector('#apps tbody tr');
      // Browser code as text: bench/ is type-checked without the DOM library.
      const m = (await page.evaluate(`(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const nav = performance.getEntriesByType('navigation')[0];
    const assets = performance.getEntriesByType('resource').filter((r) => r.name.includes('/assets/'));
    return { fcp: paint ? paint.startTime : -1, bytes: (nav ? nav.encodedBodySize : 0) + assets.reduce((n, r) => n + r.encodedBodySize, 0) };
  })()`)) as { fcp: number; bytes: number };
      if (m.fcp >= 0) rec.add(fcp, 'tend', m.fcp);
      rec.add(weight, 'tend', m.bytes / 1024);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  await s.cliOk(['web', '--stop']);
}
