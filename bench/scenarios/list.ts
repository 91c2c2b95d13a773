import { fixture } from '../lib/paths.js';
import { cleanEnv } from '../lib/proc.js';
import { alternate, appNames, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { run } from '../lib/spawn.js';
import { median } from '../lib/stats.js';

const SAMPLES_PER_ROUND = 5;

/**
 * `list --json` (PM2: `jlist`) wall time, spawn → exit, with `apps` idle apps running and the
 * daemon already up, interleaved with `node -e 0` (the floor: node's own start-up).
 */
export function listScenario(apps: number, target: string, pm2Reference: string): Scenario {
  const wall = `list --json wall time (${apps} apps)`;
  const ratioMetric = `list --json ÷ node -e 0 (${apps} apps)`;
  return {
    name: `list-${apps}`,
    description: `\`list --json\` wall time with ${apps} apps running, daemon up, vs \`node -e 0\``,
    metrics: [
      { metric: wall, unit: 'ms', baselineLabel: 'node -e 0' },
      { metric: ratioMetric, unit: '×', target, pm2Reference },
    ],
    async run(ctx, rec) {
      const names = appNames(apps);
      await alternate(ctx, rec, ctx.rounds, (tool) =>
        withSession(tool, async (s) => {
          await s.ensureDaemon();
          await s.startMany(names, fixture('idle.js'), 4);
          await s.waitOnline(names, 120_000, 200);
          await s.list(); // warm the page cache for the CLI's files
          const listMs: number[] = [];
          const nodeMs: number[] = [];
          for (let i = 0; i < SAMPLES_PER_ROUND; i++) {
            const base = await run(process.execPath, ['-e', '0'], { env: cleanEnv() });
            nodeMs.push(base.ms);
            const result = await s.cliOk(s.listArgs);
            const listed = s.parseList(result.stdout).length;
            if (listed !== apps) throw new Error(`list showed ${listed} apps, expected ${apps}`);
            listMs.push(result.ms);
          }
          for (const ms of listMs) rec.add(wall, tool.name, ms);
          for (const ms of nodeMs) rec.add(wall, 'baseline', ms);
          rec.add(ratioMetric, tool.name, median(listMs) / median(nodeMs));
        }),
      );
    },
  };
}

export const list5 = listScenario(5, '≤ 1.3×', '3.5×');
export const list100 = listScenario(100, '≤ 1.5×', '4.1×');

const VERBS = ['start', 'restart', 'stop'] as const;

/** `/bin/sleep` run directly (no runtime start-up in the figure: what is timed is the manager). */
function sleepStart(args: string[]): string[] {
  const dash = args.indexOf('--');
  return [...args.slice(0, dash), '--interpreter', 'none', ...args.slice(dash)];
}
const verbRatio = (verb: string): string => `${verb} of one app ÷ node -e 0`;

/**
 * Issue 23 (3): `start`, `restart` and `stop` of one `/bin/sleep` app (spawn → exit of the CLI,
 * daemon up, 5 other apps running), each interleaved with `node -e 0`. The app is deleted between samples
 * so every `start` creates it.
 */
export const verbs1: Scenario = {
  name: 'verbs-1',
  description: '`start`, `restart`, `stop` of one /bin/sleep app (daemon up, 5 apps running) vs `node -e 0`',
  metrics: VERBS.map((verb) => ({ metric: verbRatio(verb), unit: '×', target: '≤ 1.5×' })),
  async run(ctx, rec) {
    const names = appNames(5);
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        await s.ensureDaemon();
        await s.startMany(names, fixture('idle.js'), 4);
        await s.waitOnline(names, 120_000, 200);
        const ms: Record<string, number[]> = { start: [], restart: [], stop: [], node: [] };
        for (let i = 0; i < SAMPLES_PER_ROUND; i++) {
          for (const verb of VERBS) {
            (ms.node as number[]).push((await run(process.execPath, ['-e', '0'], { env: cleanEnv() })).ms);
            const args = verb === 'start' ? sleepStart(s.startArgs('one', '/bin/sleep', ['1000000'])) : [verb, 'one'];
            (ms[verb] as number[]).push((await s.cliOk(args)).ms);
          }
          await s.cliOk(['delete', 'one']);
        }
        for (const verb of VERBS) rec.add(verbRatio(verb), tool.name, median(ms[verb] as number[]) / median(ms.node as number[]));
      }),
    );
  },
};
