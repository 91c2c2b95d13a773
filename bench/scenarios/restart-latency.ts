import { spawn } from 'node:child_process';
import { fixture } from '../lib/paths.js';
import { freePort, waitForHttp } from '../lib/net.js';
import { cleanEnv, killRef, processRef } from '../lib/proc.js';
import { alternate, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay, msSince, now } from '../lib/timing.js';

const KILLS_PER_ROUND = 3;
/**
 * How long the app runs before each SIGKILL. Both tools count an exit soon after a start as an
 * unstable/crash-loop restart (PM2: min_uptime 1 s), which may delay the next start; this
 * measures the ordinary "a healthy app crashed" case.
 */
const STABLE_MS = 1_500;

const metric = 'SIGKILL → port answers again';

/** A fresh `node server.js`: spawn → first HTTP answer. */
async function freshServerMs(): Promise<number> {
  const port = await freePort();
  const start = now();
  const child = spawn(process.execPath, [fixture('server.js')], {
    env: cleanEnv({ PORT: String(port) }),
    stdio: 'ignore',
  });
  const ref = child.pid !== undefined ? processRef(child.pid) : null;
  try {
    await waitForHttp(port, () => true, 10_000);
    return msSince(start);
  } finally {
    if (ref) killRef(ref);
    else child.kill('SIGKILL');
  }
}

export const restartLatency: Scenario = {
  name: 'restart-latency',
  description: 'SIGKILL of an HTTP app → time until its port answers HTTP again, vs a fresh `node server.js`',
  metrics: [{ metric, unit: 'ms', baselineLabel: 'fresh node server.js', target: '≤ 1.1× baseline', pm2Reference: '1.77× baseline' }],
  async run(ctx, rec) {
    await alternate(ctx, rec, ctx.rounds, async (tool) => {
      for (let i = 0; i < KILLS_PER_ROUND; i++) rec.add(metric, 'baseline', await freshServerMs());
      await withSession(tool, async (s) => {
        await s.ensureDaemon();
        const port = await freePort();
        await s.start('web', fixture('server.js'), [String(port)]);
        let pid = Number(await waitForHttp(port, () => true, 15_000));
        for (let i = 0; i < KILLS_PER_ROUND; i++) {
          s.track(pid);
          await delay(STABLE_MS);
          const old = String(pid);
          process.kill(pid, 'SIGKILL');
          const start = now();
          const body = await waitForHttp(port, (b) => b !== old, 15_000);
          rec.add(metric, tool.name, msSince(start));
          pid = Number(body);
        }
        s.track(pid);
      });
    });
  },
};
