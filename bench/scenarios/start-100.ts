import { fixture } from '../lib/paths.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { msSince, now } from '../lib/timing.js';

const APPS = 100;
const total = 'start 100 apps until all online';
const commands = '… of which the 100 start commands';

/**
 * With the daemon already up: 100 sequential `start idle.js --name app-N` commands (a shell loop's
 * behaviour), then `list --json` polled every 100 ms until all 100 are online.
 */
export const start100: Scenario = {
  name: 'start-100',
  description: '100 sequential `start` commands, then poll `list --json` until all 100 apps are online',
  metrics: [
    { metric: total, unit: 's', target: '≤ 4 s', pm2Reference: '12.4 s' },
    { metric: commands, unit: 's' },
  ],
  async run(ctx, rec) {
    const names = appNames(APPS);
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        await s.ensureDaemon();
        const start = now();
        for (const name of names) await s.start(name, fixture('idle.js'));
        const commandsMs = msSince(start);
        await s.waitOnline(names, 120_000, 100);
        rec.add(total, tool.name, msSince(start) / 1000);
        rec.add(commands, tool.name, commandsMs / 1000);
      }),
    );
  },
};
