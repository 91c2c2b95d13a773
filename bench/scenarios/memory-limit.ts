import { readFileSync } from 'node:fs';
import { fixture } from '../lib/paths.js';
import { alternate, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay, msSince, now, waitFor } from '../lib/timing.js';

const LIMIT_MB = 150;
const metric = `RSS over max_memory_restart → old process gone`;

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export const memoryLimit: Scenario = {
  name: 'memory-limit',
  description: `an app growing 200 MB/s in its main process with \`--max-memory-restart ${LIMIT_MB}M\`: time from its RSS crossing the limit (polled every 10 ms here) to the old process being gone`,
  defaultRounds: 2,
  metrics: [{ metric, unit: 'ms', target: 'one sample interval (5 s idle) + the stop', pm2Reference: 'PM2 checks every 30 s' }],
  async run(ctx, rec) {
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        await s.ensureDaemon();
        await s.cliOk(['start', fixture('leak.js'), '--name', 'leak', '--max-memory-restart', `${LIMIT_MB}M`]);
        const pid = await waitFor(
          "the app's pid",
          async () => (await s.list()).find((a) => a.name === 'leak')?.pid ?? undefined,
          15_000,
          50,
        );
        s.track(pid);
        const crossed = await waitFor('RSS over the limit', () => ((rssMb(pid) ?? 0) > LIMIT_MB ? now() : undefined), 15_000, 10);
        await waitFor('the old process to be gone', () => (rssMb(pid) === null ? true : undefined), 90_000, 10);
        rec.add(metric, tool.name, msSince(crossed));
        await delay(200);
      }),
    );
  },
};
