import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../lib/paths.js';
import { rssKb } from '../lib/proc.js';
import type { Recorder, Scenario } from '../lib/scenario.js';
import type { Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';
import { alternateWithWrk, runWrk } from '../lib/wrk.js';

const ratio = 'req/s of `-i 2` ÷ plain node:cluster (2 workers)';
const reloads = 'failed requests over 3 reloads under load';
const broken = 'failed requests: reload to a version that throws at start';
const oldServes = 'old version answers after that reload (1 = yes)';
const daemonKill = 'failed requests: daemon kill -9 under load, then a reload';
const holderRss = 'RSS of the per-app holder (node:cluster primary)';
const workerKill = 'failed requests: kill -9 of one worker under load';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function getOnce(port: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000), headers: { connection: 'close' } });
    return res.ok ? (await res.text()).trim() : null;
  } catch {
    return null;
  }
}

/** `start <script> -i 2 --name …` for either tool. */
function clusterStart(s: Session, name: string, script: string, args: string[]): string[] {
  const a = s.startArgs(name, script, args);
  const dash = a.indexOf('--');
  return dash === -1 ? [...a, '-i', '2'] : [...a.slice(0, dash), '-i', '2', ...a.slice(dash)];
}

/** Runs `node <script> <port>` on a free port (the bench's own process, not a tool's) around `fn`. */
export async function withLocalServer<T>(script: string, fn: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = spawn(process.execPath, [script, String(port)], { stdio: 'ignore', detached: true });
  try {
    await waitFor(`${script} to answer`, async () => (await getOnce(port)) !== null, 15_000);
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

function baselineRps(seconds: number): Promise<number> {
  return withLocalServer(fixture('plain-cluster.js'), async (port) => (await runWrk(`http://127.0.0.1:${port}/`, seconds)).rps);
}

async function round(s: Session, rec: Recorder, toolName: 'tend' | 'pm2', seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tend-bench-cluster-'));
  try {
    const port = await freePort();
    const versionFile = join(dir, 'version');
    writeFileSync(versionFile, 'v1');
    const url = `http://127.0.0.1:${port}/`;
    await s.ensureDaemon();
    await s.cliOk(clusterStart(s, 'web', fixture('cluster-app.js'), [String(port), versionFile]));
    await waitFor('the cluster app to answer', async () => (await getOnce(port)) !== null, 20_000);
    for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);

    // The baseline is measured right before, so both see the same machine load.
    const plain = await baselineRps(seconds);
    rec.add(ratio, 'baseline', 1);
    rec.add(ratio, toolName, (await runWrk(url, seconds)).rps / plain);

    let load = runWrk(url, seconds + 4);
    await delay(1000);
    for (let i = 2; i <= 4; i++) {
      writeFileSync(versionFile, `v${i}`);
      await s.cli(['reload', 'web']);
      await delay(300);
    }
    rec.add(reloads, toolName, (await load).failed);

    if (toolName === 'tend') {
      const rows = JSON.parse((await s.cliOk(['list', '--json'])).stdout) as Array<{ holderPid?: number }>;
      const holder = rows[0]?.holderPid;
      if (typeof holder === 'number') rec.add(holderRss, toolName, rssKb(holder) / 1024);
    }

    // Only the killed worker's requests in flight can fail (16 connections over 2 workers).
    const victim = (await s.list()).find((a) => a.name === 'web' && a.pid !== null)?.pid;
    load = runWrk(url, 3);
    await delay(1000);
    if (typeof victim === 'number') process.kill(victim, 'SIGKILL');
    rec.add(workerKill, toolName, (await load).failed);
    await waitFor(
      'both workers to answer again',
      async () => (await s.list()).filter((a) => a.name === 'web' && a.status === 'online').length === 2,
      20_000,
    );

    writeFileSync(versionFile, 'throw');
    load = runWrk(url, 4);
    await delay(1000);
    await s.cli(['reload', 'web']);
    rec.add(broken, toolName, (await load).failed);
    rec.add(oldServes, toolName, (await getOnce(port)) === 'v4' ? 1 : 0);

    writeFileSync(versionFile, 'v5');
    load = runWrk(url, 6);
    await delay(1000);
    process.kill(await s.daemonPid(), 'SIGKILL');
    await delay(500);
    await s.cli(['reload', 'web']);
    rec.add(daemonKill, toolName, (await load).failed);
    for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cluster: Scenario = {
  name: 'cluster',
  description:
    'cluster mode under HTTP load (wrk, 16 keep-alive connections, 127.0.0.1): throughput, reloads, a broken deploy, a daemon kill -9',
  defaultRounds: 1,
  metrics: [
    { metric: ratio, unit: '×', target: '≥ 0.98', pm2Reference: '0.81–0.89' },
    { metric: reloads, unit: 'requests', target: '0', pm2Reference: '4–20' },
    { metric: broken, unit: 'requests', target: '0' },
    { metric: oldServes, unit: '', target: '1', pm2Reference: '0 (old workers killed)' },
    { metric: daemonKill, unit: 'requests', target: '0', pm2Reference: 'apps die' },
    { metric: workerKill, unit: 'requests', target: 'only its in-flight requests', pm2Reference: '(measure)' },
    { metric: holderRss, unit: 'MB' },
  ],
  run: (ctx, rec) => alternateWithWrk(ctx, rec, (s, tool) => round(s, rec, tool, 5)),
};
