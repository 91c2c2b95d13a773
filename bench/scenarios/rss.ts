import { spawn } from 'node:child_process';
import { fixture } from '../lib/paths.js';
import { cleanEnv, killRef, memKb, processRef, rssKb } from '../lib/proc.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay } from '../lib/timing.js';

/** Settle window after the apps are online, before reading VmRSS. */
const SETTLE_MS = 2_000;

const one = 'daemon RSS, 1 app';
const twenty = 'daemon RSS, 20 apps';

/** RSS and PSS (kB) of a bare `node [nodeArgs] idle.js` after the settle window: the floor any Node daemon starts from. */
export async function bareNodeMemKb(nodeArgs: readonly string[] = []): Promise<{ rss: number; pss: number }> {
  const child = spawn(process.execPath, [...nodeArgs, fixture('idle.js')], { env: cleanEnv(), stdio: 'ignore' });
  const ref = child.pid !== undefined ? processRef(child.pid) : null;
  if (!ref) throw new Error('could not spawn node');
  try {
    await delay(SETTLE_MS);
    return memKb(ref.pid);
  } finally {
    killRef(ref);
  }
}

async function bareNodeRssMb(): Promise<number> {
  return (await bareNodeMemKb()).rss / 1024;
}

export const rss: Scenario = {
  name: 'rss',
  description: 'daemon RSS (VmRSS) with 1 and with 20 idle apps',
  metrics: [
    { metric: one, unit: 'MB', baselineLabel: 'bare node process', pm2Reference: '58.5 MB' },
    { metric: twenty, unit: 'MB', baselineLabel: 'bare node process', target: '≤ 45 MB', pm2Reference: '60.7 MB' },
  ],
  async run(ctx, rec) {
    const names = appNames(20);
    await alternate(ctx, rec, ctx.rounds, async (tool) => {
      const base = await bareNodeRssMb();
      rec.add(one, 'baseline', base);
      rec.add(twenty, 'baseline', base);
      await withSession(tool, async (s) => {
        const pid = await s.ensureDaemon();
        await s.start(names[0] as string, fixture('idle.js'));
        await s.waitOnline(names.slice(0, 1), 30_000);
        await delay(SETTLE_MS);
        rec.add(one, tool.name, rssKb(pid) / 1024);
        await s.startMany(names.slice(1), fixture('idle.js'), 4);
        await s.waitOnline(names, 60_000, 100);
        await delay(SETTLE_MS);
        rec.add(twenty, tool.name, rssKb(pid) / 1024);
      });
    });
  },
};
