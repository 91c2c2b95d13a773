import { spawn } from 'node:child_process';
import { fixture } from '../lib/paths.js';
import { runAtRate } from '../lib/rate-load.js';
import { alternate, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';
import { ensureWrk, runWrk } from '../lib/wrk.js';
import { freePort, getOnce } from './cluster.js';

const rps = 'req/s through the proxy ÷ the same app served directly (wrk, 16 keep-alive connections)';
const p99Direct = 'p99 at 1,000 req/s, app served directly';
const p99Proxy = 'p99 at 1,000 req/s, through the proxy';
const p99Added = 'p99 added by the proxy at 1,000 req/s';
const reloads = 'failed requests over 3 reloads under load (tend: proxy mode; PM2: plain reload)';

/** The bench's HTTP server (binds $PORT or its first argument), run by the bench itself for the round. */
async function direct<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = spawn(process.execPath, [fixture('server.js'), String(port)], { stdio: 'ignore', detached: true });
  try {
    await waitFor('the direct app to answer', async () => (await getOnce(port)) !== null, 15_000);
    return await fn(port);
  } finally {
    if (child.pid !== undefined)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  }
}

async function round(s: Session, rec: Recorder, toolName: 'tend' | 'pm2', seconds: number): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  await s.ensureDaemon();
  const base = s.startArgs('web', fixture('server.js'), toolName === 'tend' ? [] : [String(port)]);
  await s.cliOk(toolName === 'tend' ? [...base, '--proxy', `127.0.0.1:${port}`] : base);
  await waitFor('the app to answer', async () => (await getOnce(port)) !== null, 20_000);
  for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);

  if (toolName === 'tend')
    await direct(async (directPort) => {
      const directUrl = `http://127.0.0.1:${directPort}/`;
      // Both warmed up first (JIT), then measured back to back so both see the same machine load.
      await runWrk(directUrl, 1);
      await runWrk(url, 1);
      const plain = await runWrk(directUrl, seconds);
      const proxied = await runWrk(url, seconds);
      rec.add(rps, 'baseline', 1);
      rec.add(rps, toolName, proxied.rps / plain.rps);
      const d = await runAtRate(directPort, 1000, seconds);
      const x = await runAtRate(port, 1000, seconds);
      if (d.failed + x.failed > 0) rec.note(`constant-rate run failed requests: direct ${d.failed}, proxy ${x.failed}`);
      rec.add(p99Direct, toolName, d.p99);
      rec.add(p99Proxy, toolName, x.p99);
      rec.add(p99Added, toolName, x.p99 - d.p99);
    });

  const load = runWrk(url, seconds + 8);
  await delay(1000);
  for (let i = 0; i < 3; i++) {
    await s.cli(['reload', 'web']);
    await delay(500);
  }
  rec.add(reloads, toolName, (await load).failed);
  for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);
}

export const proxy: Scenario = {
  name: 'proxy',
  description:
    'proxy mode (an app that binds its own $PORT; tend owns the public port): its cost against the app served directly, and reloads under wrk load; PM2 has no proxy mode, its plain reload of the same app is shown beside',
  defaultRounds: 3,
  metrics: [
    { metric: rps, unit: '×', target: '≥ 0.9' },
    { metric: p99Direct, unit: 'ms' },
    { metric: p99Proxy, unit: 'ms' },
    { metric: p99Added, unit: 'ms', target: '< 1' },
    { metric: reloads, unit: 'requests', target: '0', pm2Reference: 'a restart: the port closes' },
  ],
  async run(ctx, rec) {
    const why = ensureWrk();
    if (why !== null) {
      rec.note(why);
      for (const t of ctx.tools) rec.errors[t.name] = why;
      return;
    }
    await alternate(ctx, rec, ctx.rounds, (tool) => withSession(tool, (s) => round(s, rec, tool.name, 5)));
  },
};
