import { fixture } from '../lib/paths.js';
import { cpuSeconds } from '../lib/proc.js';
import { manyClientsLoad } from '../lib/many-clients.js';
import { alternate, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { waitFor } from '../lib/timing.js';
import { runWrk, wrkMissing } from '../lib/wrk.js';
import { freePort, getOnce } from './cluster.js';

const SECONDS = 5;
const ROUND_ROBIN = '`-i 2` (node:cluster round-robin)';
const oneAddress = 'req/s, 16 keep-alive connections from one address (wrk)';
const oneAddressNew = 'req/s, a new connection per request from one address (wrk, Connection: close)';
const manyKeepAlive = 'req/s, 32 client addresses, keep-alive (Node client)';
const manyNew = 'req/s, 32 client addresses, a new connection per request (Node client)';
const failures = 'failed requests over all runs';
const holderCpu = 'CPU time of the primary (holder) per 1,000 new connections';
const workersCpu = 'CPU time of the 2 workers per 1,000 new connections';

/** The app's holder and worker pids, from `list --json`. */
async function pidsOf(s: Session, name: string): Promise<{ holder: number; workers: number[] }> {
  const rows = (
    JSON.parse((await s.cliOk(['list', '--json'])).stdout) as Array<{ name: string; pid: number | null; holderPid?: number }>
  ).filter((r) => r.name === name);
  const holder = rows[0]?.holderPid;
  if (typeof holder !== 'number') throw new Error(`no holder for ${name}`);
  return { holder, workers: rows.map((r) => r.pid).filter((p): p is number => typeof p === 'number') };
}

/** One measurement of each kind, for one app; `who` is where it is recorded. */
async function measure(port: number, pids: { holder: number; workers: number[] }, rec: Recorder, who: 'tend' | 'baseline'): Promise<void> {
  const cpu = (): { holder: number; workers: number } => ({
    holder: cpuSeconds(pids.holder),
    workers: pids.workers.reduce((sum, p) => sum + cpuSeconds(p), 0),
  });
  const wrk = await runWrk(`http://127.0.0.1:${port}/`, SECONDS);
  rec.add(oneAddress, who, wrk.rps);
  const wrkNew = await runWrk(`http://127.0.0.1:${port}/`, SECONDS, 16, ['-H', 'Connection: close']);
  rec.add(oneAddressNew, who, wrkNew.rps);
  const ka = await manyClientsLoad(port, SECONDS, { addresses: 32, concurrency: 16, keepAlive: true });
  rec.add(manyKeepAlive, who, ka.rps);
  // CPU per connection: measured over the new-connection load, where each request is one handoff.
  const before = cpu();
  const fresh = await manyClientsLoad(port, SECONDS, { addresses: 32, concurrency: 16, keepAlive: false });
  const spent = cpu();
  rec.add(manyNew, who, fresh.rps);
  if (fresh.requests > 0) {
    rec.add(holderCpu, who, ((spent.holder - before.holder) * 1e6) / fresh.requests);
    rec.add(workersCpu, who, ((spent.workers - before.workers) * 1e6) / fresh.requests);
  }
  if (who === 'tend') rec.add(failures, who, wrk.failed + wrkNew.failed + ka.failed + fresh.failed);
}

async function round(s: Session, rec: Recorder, n: number): Promise<void> {
  await s.ensureDaemon();
  const ports = { rr: await freePort(), sticky: await freePort() };
  await s.cliOk(['start', fixture('cluster-app.js'), '--name', 'rr', '-i', '2', '--', String(ports.rr)]);
  await s.cliOk(['start', fixture('cluster-app.js'), '--name', 'sticky', '-i', '2', '--sticky', '--', String(ports.sticky)]);
  for (const port of [ports.rr, ports.sticky]) await waitFor('the app to answer', async () => (await getOnce(port)) !== null, 20_000);
  const pids = { rr: await pidsOf(s, 'rr'), sticky: await pidsOf(s, 'sticky') };
  // Alternate which goes first, so neither always meets a warmer (or busier) machine.
  const order: Array<['tend' | 'baseline', number, { holder: number; workers: number[] }]> = [
    ['baseline', ports.rr, pids.rr],
    ['tend', ports.sticky, pids.sticky],
  ];
  for (const [who, port, p] of n % 2 === 0 ? order : order.reverse()) await measure(port, p, rec, who);
}

/** Issue 18 item 3: what `sticky` costs a plain HTTP app under `-i 2`, against round-robin in the same run. */
export const sticky: Scenario = {
  name: 'sticky',
  description: 'req/s of a plain HTTP app under `-i 2 --sticky` against `-i 2` round-robin, same run (tend only: PM2 has no sticky mode)',
  defaultRounds: 3,
  metrics: [
    { metric: oneAddress, unit: 'req/s', baselineLabel: ROUND_ROBIN, target: 'one instance serves one address' },
    { metric: oneAddressNew, unit: 'req/s', baselineLabel: ROUND_ROBIN },
    { metric: manyKeepAlive, unit: 'req/s', baselineLabel: ROUND_ROBIN },
    { metric: manyNew, unit: 'req/s', baselineLabel: ROUND_ROBIN },
    { metric: holderCpu, unit: 'ms', baselineLabel: ROUND_ROBIN },
    { metric: workersCpu, unit: 'ms', baselineLabel: ROUND_ROBIN },
    { metric: failures, unit: 'requests', target: '0' },
  ],
  async run(ctx, rec) {
    if (wrkMissing(ctx, rec)) return;
    let n = 0;
    await alternate(ctx, rec, ctx.rounds, async (tool) => {
      if (tool.name !== 'tend') return;
      await withSession(tool, (s) => round(s, rec, n++));
    });
  },
};
