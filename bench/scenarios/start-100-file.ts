import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../lib/paths.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { msSince, now } from '../lib/timing.js';

const APPS = 100;
const metric = 'start 100 apps from one ecosystem file until all online';

/**
 * The idiomatic way to start many apps: one PM2-format ecosystem file (the same file for both
 * tools), one `start` command, then `list --json` polled every 50 ms until all are online.
 */
export const start100File: Scenario = {
  name: 'start-100-file',
  description: 'one `start ecosystem.config.json` of 100 apps, then poll `list --json` until all are online',
  metrics: [{ metric, unit: 's' }],
  async run(ctx, rec) {
    const names = appNames(APPS);
    const dir = mkdtempSync(join(tmpdir(), 'tend-bench-eco-'));
    const file = join(dir, 'ecosystem.config.json');
    writeFileSync(file, JSON.stringify({ apps: names.map((name) => ({ name, script: fixture('idle.js') })) }));
    try {
      await alternate(ctx, rec, ctx.rounds, (tool) =>
        withSession(tool, async (s) => {
          await s.ensureDaemon();
          const start = now();
          await s.cliOk(['start', file], 120_000);
          await s.waitOnline(names, 120_000, 50);
          rec.add(metric, tool.name, msSince(start) / 1000);
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
