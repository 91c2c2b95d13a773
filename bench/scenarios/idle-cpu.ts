import { join } from 'node:path';
import { RpcClient } from '../../src/rpc/client.js';
import { fixture } from '../lib/paths.js';
import { cpuSeconds, rssKb } from '../lib/proc.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay } from '../lib/timing.js';

const APPS = 100;
/** Quiet period after the last app is online, so start-up work is not counted. */
const SETTLE_MS = 5_000;
export const IDLE_WINDOW_S = Number(process.env.TEND_BENCH_IDLE_SECONDS || 30);

const cpu = 'daemon CPU, idle, 100 apps';
const watched = 'daemon CPU, 100 apps, one metrics subscriber (1 s samples)';
const mem = 'daemon RSS, 100 apps';

export const idleCpu: Scenario = {
  name: 'idle-cpu',
  description: `daemon CPU (utime+stime delta of /proc/PID/stat) over ${IDLE_WINDOW_S} s idle with 100 apps, % of one core`,
  defaultRounds: 1,
  metrics: [
    { metric: cpu, unit: '% core', target: '≤ 0.5 %', pm2Reference: '3.7 %' },
    { metric: watched, unit: '% core' },
    { metric: mem, unit: 'MB' },
  ],
  async run(ctx, rec) {
    const names = appNames(APPS);
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        const pid = await s.ensureDaemon();
        await s.startMany(names, fixture('idle.js'), 4);
        await s.waitOnline(names, 120_000, 200);
        await delay(SETTLE_MS);
        const before = cpuSeconds(pid);
        await delay(IDLE_WINDOW_S * 1000);
        const after = cpuSeconds(pid);
        rec.add(cpu, tool.name, ((after - before) / IDLE_WINDOW_S) * 100);
        if (tool.name === 'tend') {
          // What a watcher (monit, the dashboard) costs: the sampler at its fast rate.
          const client = await RpcClient.connect(join(s.home, 'daemon.sock'), 'tend-bench');
          try {
            await client.call('metrics.subscribe', {});
            await delay(2000);
            const w0 = cpuSeconds(pid);
            await delay(IDLE_WINDOW_S * 1000);
            rec.add(watched, tool.name, ((cpuSeconds(pid) - w0) / IDLE_WINDOW_S) * 100);
          } finally {
            client.close();
          }
        }
        rec.add(mem, tool.name, rssKb(pid) / 1024);
      }),
    );
  },
};
