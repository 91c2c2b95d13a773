import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../lib/paths.js';
import { timeFileStart } from '../lib/file-start.js';
import { appNames, type Scenario } from '../lib/scenario.js';

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
    await timeFileStart(ctx, rec, { dir, file, names, metric, pollMs: 50 });
  },
};
