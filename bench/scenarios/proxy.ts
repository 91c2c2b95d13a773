import { availableParallelism } from 'node:os';
import { fixture } from '../lib/paths.js';
import { cpuSeconds, reapedChildrenCpuSeconds } from '../lib/proc.js';
import { runAtRate } from '../lib/rate-load.js';
import type { Recorder, Scenario } from '../lib/scenario.js';
import type { Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';
import { alternateWithWrk, runWrk } from '../lib/wrk.js';
import { freePort, getOnce, withLocalServer } from './cluster.js';

const rpsSaturating = 'req/s through the proxy ÷ served directly, saturating (wrk, 16 keep-alive connections)';
const rpsPaced = 'req/s served through the proxy ÷ served directly, at 1,000 req/s offered';
const bound = 'saturating req/s ratio the measured CPU per request allows on this machine';
const p99Direct = 'p99 at 1,000 req/s, app served directly';
const p99Proxy = 'p99 at 1,000 req/s, through the proxy';
const p99Added = 'p99 added by the proxy at 1,000 req/s';
const cpuProxy = 'CPU per request: the proxy (holder)';
const cpuApp = 'CPU per request: the app itself';
const cpuWrk = 'CPU per request: wrk (the load)';
const reloads = 'failed requests over 3 reloads under load (tend: proxy mode; PM2: plain reload)';

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The req/s ratio (through the proxy ÷ direct) that CPU alone allows when wrk, the app and the
 * proxy share `cpus` CPUs and each is one thread: each setup serves at most as fast as the CPUs
 * can do its total work per request, and no faster than its busiest single process.
 */
export function cpuBoundRatio(us: { app: number; wrk: number; proxy: number }, cpus: number): number {
  const direct = Math.min(cpus / (us.app + us.wrk), 1 / us.app, 1 / us.wrk);
  const proxied = Math.min(cpus / (us.app + us.wrk + us.proxy), 1 / us.app, 1 / us.wrk, 1 / us.proxy);
  return proxied / direct;
}

/** The holder's pid and the instance's. */
async function pids(s: Session): Promise<[number, number]> {
  const rows = JSON.parse((await s.cliOk(['list', '--json'])).stdout) as Array<{ pid?: number; holderPid?: number }>;
  return [rows[0]?.holderPid ?? 0, rows[0]?.pid ?? 0];
}

async function round(s: Session, rec: Recorder, toolName: 'tend' | 'pm2', seconds: number): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  await s.ensureDaemon();
  const base = s.startArgs('web', fixture('server.js'), toolName === 'tend' ? [] : [String(port)]);
  await s.cliOk(toolName === 'tend' ? [...base, '--proxy', `127.0.0.1:${port}`] : base);
  await waitFor('the app to answer', async () => (await getOnce(port)) !== null, 20_000);
  for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);

  if (toolName === 'tend') await withLocalServer(fixture('server.js'), (directPort) => measureCost(s, rec, port, directPort, seconds));

  const load = runWrk(url, seconds + 8);
  await delay(1000);
  for (let i = 0; i < 3; i++) {
    await s.cli(['reload', 'web']);
    await delay(500);
  }
  rec.add(reloads, toolName, (await load).failed);
  for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);
}

/**
 * The hop's cost against the same app served directly, in one round: warmed up first (JIT of
 * both servers and of the bench's own client), then measured in the order direct, proxy, proxy,
 * direct, so a drift of the machine's load hits both alike.
 */
async function measureCost(s: Session, rec: Recorder, port: number, directPort: number, seconds: number): Promise<void> {
  const url = `http://127.0.0.1:${port}/`;
  const directUrl = `http://127.0.0.1:${directPort}/`;
  await runWrk(directUrl, 1);
  await runWrk(url, 1);
  await runAtRate(directPort, 1000, 1);
  await runAtRate(port, 1000, 1);
  const plain = [await runWrk(directUrl, seconds)];
  // CPU time per request of the holder, the app and wrk over the proxied runs: what the hop
  // costs, whatever else runs on the machine. wrk's is read once it exited and was waited for.
  const [holder, app] = await pids(s);
  const before = [cpuSeconds(holder), cpuSeconds(app), reapedChildrenCpuSeconds()];
  const proxied = [await runWrk(url, seconds), await runWrk(url, seconds)];
  const served = proxied.reduce((a, r) => a + r.requests, 0);
  const perRequest = (now: number, then: number | undefined): number => ((now - (then as number)) * 1e6) / served;
  const us = {
    proxy: perRequest(cpuSeconds(holder), before[0]),
    app: perRequest(cpuSeconds(app), before[1]),
    wrk: perRequest(reapedChildrenCpuSeconds(), before[2]),
  };
  rec.add(cpuProxy, 'tend', us.proxy);
  rec.add(cpuApp, 'tend', us.app);
  rec.add(cpuWrk, 'tend', us.wrk);
  rec.add(bound, 'tend', cpuBoundRatio(us, availableParallelism()));
  plain.push(await runWrk(directUrl, seconds));
  rec.add(rpsSaturating, 'baseline', 1);
  rec.add(rpsSaturating, 'tend', mean(proxied.map((r) => r.rps)) / mean(plain.map((r) => r.rps)));

  const d = [await runAtRate(directPort, 1000, seconds)];
  const x = [await runAtRate(port, 1000, seconds), await runAtRate(port, 1000, seconds)];
  d.push(await runAtRate(directPort, 1000, seconds));
  const failed = (rs: Array<{ failed: number }>): number => rs.reduce((a, r) => a + r.failed, 0);
  if (failed(d) + failed(x) > 0) rec.note(`constant-rate runs failed requests: direct ${failed(d)}, proxy ${failed(x)}`);
  rec.add(rpsPaced, 'tend', mean(x.map((r) => r.servedPerSecond)) / mean(d.map((r) => r.servedPerSecond)));
  const dp99 = mean(d.map((r) => r.p99));
  const xp99 = mean(x.map((r) => r.p99));
  rec.add(p99Direct, 'tend', dp99);
  rec.add(p99Proxy, 'tend', xp99);
  rec.add(p99Added, 'tend', xp99 - dp99);
}

export const proxy: Scenario = {
  name: 'proxy',
  description:
    'proxy mode (an app that binds its own $PORT; tend owns the public port): its cost against the app served directly, and reloads under wrk load; PM2 has no proxy mode, its plain reload of the same app is shown beside',
  defaultRounds: 3,
  metrics: [
    { metric: rpsPaced, unit: '×', target: '≥ 0.9' },
    { metric: rpsSaturating, unit: '×', target: '≥ 0.9' },
    { metric: bound, unit: '×' },
    { metric: p99Direct, unit: 'ms' },
    { metric: p99Proxy, unit: 'ms' },
    { metric: p99Added, unit: 'ms', target: '< 1' },
    { metric: cpuProxy, unit: 'µs' },
    { metric: cpuApp, unit: 'µs' },
    { metric: cpuWrk, unit: 'µs' },
    { metric: reloads, unit: 'requests', target: '0', pm2Reference: 'a restart: the port closes' },
  ],
  run: (ctx, rec) => alternateWithWrk(ctx, rec, (s, tool) => round(s, rec, tool, 5)),
};
