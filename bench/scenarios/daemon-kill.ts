import { checkNumberedLines, fileSize } from '../lib/logfile.js';
import { fixture } from '../lib/paths.js';
import { isAlive, processRef, type ProcessRef } from '../lib/proc.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay, msSince, now, waitFor } from '../lib/timing.js';

const APPS = 3;
/** The window after `kill -9` of the daemon in which app deaths are watched (sampled every 2 ms). */
const WINDOW_MS = 1_000;

const alive = 'apps alive 1 s after kill -9 of the daemon';
const deathMs = 'time until all apps died';
const adopted = 'apps shown online (same pid) by the new daemon';
const logging = 'apps still logging after a new daemon starts';
const lost = 'log lines lost across the daemon kill';

export const daemonKill: Scenario = {
  name: 'daemon-kill',
  description: '`kill -9` of the daemon with 3 apps running: do the apps survive, get re-adopted and keep logging?',
  metrics: [
    { metric: alive, unit: `of ${APPS}`, target: `${APPS}`, pm2Reference: '0 (all die within 70 ms)' },
    { metric: deathMs, unit: 'ms' },
    { metric: adopted, unit: `of ${APPS}`, target: `${APPS}` },
    { metric: logging, unit: `of ${APPS}`, target: `${APPS}` },
    { metric: lost, unit: 'lines', target: '0' },
  ],
  async run(ctx, rec) {
    const names = appNames(APPS, 'tick');
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        const daemon = await s.ensureDaemon();
        for (const name of names) await s.start(name, fixture('ticker.js'));
        const apps = await s.waitOnline(names, 30_000);
        const refs: ProcessRef[] = [];
        for (const app of apps) {
          const ref = app.pid !== null && names.includes(app.name) ? processRef(app.pid) : null;
          if (ref) refs.push(ref);
        }
        if (refs.length !== APPS) throw new Error(`expected ${APPS} app pids, got ${refs.length}`);
        await waitFor('apps to log', () => names.every((n) => fileSize(s.logFile(n)) > 0), 10_000);

        process.kill(daemon, 'SIGKILL');
        const killed = now();
        let allDeadMs: number | null = null;
        while (msSince(killed) < WINDOW_MS) {
          if (allDeadMs === null && refs.every((r) => !isAlive(r))) allDeadMs = msSince(killed);
          await delay(2);
        }
        const survivors = refs.filter(isAlive);
        rec.add(alive, tool.name, survivors.length);
        if (allDeadMs !== null) rec.add(deathMs, tool.name, allDeadMs);

        // The next CLI command starts a new daemon (PM2's comes up empty).
        const after = await s.list();
        rec.add(adopted, tool.name, survivors.filter((r) => after.some((a) => a.pid === r.pid && a.status === 'online')).length);
        await s.daemonPid();
        const sizes = names.map((n) => fileSize(s.logFile(n)));
        let growing = 0;
        if (survivors.length > 0) {
          await waitFor('logs to grow', () => names.every((n, i) => fileSize(s.logFile(n)) > (sizes[i] ?? 0)), 3_000).catch(
            () => undefined,
          );
          growing = names.filter((n, i) => fileSize(s.logFile(n)) > (sizes[i] ?? 0)).length;
          let lostLines = 0;
          for (const n of names) lostLines += checkNumberedLines(s.logFile(n)).lost;
          rec.add(lost, tool.name, lostLines);
        }
        rec.add(logging, tool.name, growing);
      }),
    );
  },
};
