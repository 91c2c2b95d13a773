import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcClient } from '../../src/rpc/client.js';
import { cpuSeconds } from '../lib/proc.js';
import { alternate, appNames, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { timeFileStart } from '../lib/file-start.js';
import { msSince, now } from '../lib/timing.js';

// Apps that cost nothing but a process (no runtime start-up): what is measured is the manager.
const SLEEP_APP = (name: string) => ({ name, script: '/bin/sleep', args: ['1000000'], interpreter: 'none' });

function writeEcosystem(n: number): { dir: string; file: string; names: string[] } {
  const names = appNames(n);
  const dir = mkdtempSync(join(tmpdir(), 'tend-bench-many-'));
  const file = join(dir, 'ecosystem.config.json');
  writeFileSync(file, JSON.stringify({ apps: names.map(SLEEP_APP) }));
  return { dir, file, names };
}

/** Pings the daemon over its socket every `everyMs` while `during` runs; returns the latencies. */
async function pingsDuring<T>(home: string, everyMs: number, during: () => Promise<T>): Promise<{ result: T; pingsMs: number[] }> {
  const client = await RpcClient.connect(join(home, 'daemon.sock'), 'bench');
  const pingsMs: number[] = [];
  let running = true;
  const pinger = (async () => {
    while (running) {
      const start = now();
      await client.call('daemon.info', {}, 60_000);
      pingsMs.push(msSince(start));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    const result = await during();
    return { result, pingsMs };
  } finally {
    running = false;
    await pinger.catch(() => undefined);
    client.close();
  }
}

async function timedAll(s: Session, rec: Recorder, verb: string, label: string, daemon: number): Promise<void> {
  const cpu0 = cpuSeconds(daemon);
  const { result, pingsMs } = await pingsDuring(s.home, 20, async () => {
    const start = now();
    await s.cliOk([verb, 'all'], 600_000);
    return msSince(start);
  });
  rec.add(`${label}: wall time`, s.tool, result / 1000);
  rec.add(`${label}: daemon CPU`, s.tool, cpuSeconds(daemon) - cpu0);
  rec.add(`${label}: slowest ping meanwhile`, s.tool, Math.max(...pingsMs));
}

const N_FILE = 300;
const fileMetric = `start ${N_FILE} apps from one file until all online`;

/** Issue 12's figure: 300 apps from one file online in ≤ 0.6 s (1.44 s before, PM2 1.42 s). */
export const start300File: Scenario = {
  name: 'start-300-file',
  description: `one \`start ecosystem.config.json\` of ${N_FILE} /bin/sleep apps, until \`list --json\` shows all online`,
  metrics: [{ metric: fileMetric, unit: 's', target: '≤ 0.6 s', pm2Reference: '1.42 s' }],
  async run(ctx, rec) {
    const { dir, file, names } = writeEcosystem(N_FILE);
    await timeFileStart(ctx, rec, { dir, file, names, metric: fileMetric, pollMs: 10 });
  },
};

const N_MANY = Number(process.env.TEND_BENCH_MANY_APPS ?? 1000);
const verbs = ['restart', 'stop', 'start', 'delete'] as const;

/**
 * Issue 12's scaling figures: with 1,000 apps, `restart all` under 15 s with the daemon answering
 * a ping in under 100 ms throughout (168 s and 3–10 s pings before). tend only: PM2 takes minutes.
 */
export const manyApps: Scenario = {
  name: 'many-apps',
  description: `${N_MANY} /bin/sleep apps from one file: restart/stop/start/delete all, pinging the daemon every 20 ms meanwhile`,
  defaultRounds: 1,
  metrics: [
    { metric: `start ${N_MANY} from one file: wall time`, unit: 's' },
    ...verbs.flatMap((v) => [
      { metric: `${v} all: wall time`, unit: 's', ...(v === 'restart' ? { target: '< 15 s' } : {}) },
      { metric: `${v} all: daemon CPU`, unit: 's' },
      { metric: `${v} all: slowest ping meanwhile`, unit: 'ms', ...(v === 'restart' ? { target: '< 100 ms' } : {}) },
    ]),
  ],
  async run(ctx, rec) {
    const { dir, file, names } = writeEcosystem(N_MANY);
    const tools = ctx.tools.filter((t) => t.name === 'tend');
    if (tools.length === 0) rec.note('tend only; not run');
    try {
      await alternate({ ...ctx, tools, unavailable: {} }, rec, ctx.rounds, (tool) =>
        withSession(tool, async (s) => {
          const daemon = await s.ensureDaemon();
          const start = now();
          await s.cliOk(['start', file], 600_000);
          await s.waitOnline(names, 600_000, 50);
          rec.add(`start ${N_MANY} from one file: wall time`, tool.name, msSince(start) / 1000);
          for (const verb of verbs) await timedAll(s, rec, verb, `${verb} all`, daemon);
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
