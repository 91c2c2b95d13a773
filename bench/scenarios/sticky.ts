import { fixture } from '../lib/paths.js';
import { manyClientsLoad } from '../lib/many-clients.js';
import { alternate, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { waitFor } from '../lib/timing.js';
import { ensureWrk, runWrk } from '../lib/wrk.js';
import { freePort, getOnce } from './cluster.js';

const SECONDS = 5;
const ROUND_ROBIN = '`-i 2` (node:cluster round-robin)';
const oneAddress = 'req/s, 16 keep-alive connections from one address (wrk)';
const oneAddressNew = 'req/s, a new connection per request from one address (wrk, Connection: close)';
const manyKeepAlive = 'req/s, 32 client addresses, keep-alive (Node client)';
const manyNew = 'req/s, 32 client addresses, a new connection per request (Node client)';
const failures = 'failed requests over all runs';

/** One measurement of each kind, for one app; `who` is where it is recorded. */
async function measure(port: number, rec: Recorder, who: 'tend' | 'baseline'): Promise<void> {
  const wrk = await runWrk(`http://127.0.0.1:${port}/`, SECONDS);
  rec.add(oneAddress, who, wrk.rps);
  const wrkNew = await runWrk(`http://127.0.0.1:${port}/`, SECONDS, 16, ['-H', 'Connection: close']);
  rec.add(oneAddressNew, who, wrkNew.rps);
  const ka = await manyClientsLoad(port, SECONDS, { addresses: 32, concurrency: 16, keepAlive: true });
  rec.add(manyKeepAlive, who, ka.rps);
  const fresh = await manyClientsLoad(port, SECONDS, { addresses: 32, concurrency: 16, keepAlive: false });
  rec.add(manyNew, who, fresh.rps);
  if (who === 'tend') rec.add(failures, who, wrk.failed + wrkNew.failed + ka.failed + fresh.failed);
}

async function round(s: Session, rec: Recorder, n: number): Promise<void> {
  await s.ensureDaemon();
  const ports = { rr: await freePort(), sticky: await freePort() };
  await s.cliOk(['start', fixture('cluster-app.js'), '--name', 'rr', '-i', '2', '--', String(ports.rr)]);
  await s.cliOk(['start', fixture('cluster-app.js'), '--name', 'sticky', '-i', '2', '--sticky', '--', String(ports.sticky)]);
  for (const port of [ports.rr, ports.sticky]) await waitFor('the app to answer', async () => (await getOnce(port)) !== null, 20_000);
  await s.list();
  // Alternate which goes first, so neither always meets a warmer (or busier) machine.
  const order: Array<['tend' | 'baseline', number]> = [
    ['baseline', ports.rr],
    ['tend', ports.sticky],
  ];
  for (const [who, port] of n % 2 === 0 ? order : order.reverse()) await measure(port, rec, who);
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
    { metric: failures, unit: 'requests', target: '0' },
  ],
  async run(ctx, rec) {
    const why = ensureWrk();
    if (why !== null) {
      rec.note(why);
      for (const t of ctx.tools) rec.errors[t.name] = why;
      return;
    }
    let n = 0;
    await alternate(ctx, rec, ctx.rounds, async (tool) => {
      if (tool.name !== 'tend') return;
      await withSession(tool, (s) => round(s, rec, n++));
    });
  },
};
