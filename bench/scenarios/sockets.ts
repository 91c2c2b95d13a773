import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../lib/paths.js';
import type { Recorder, Scenario } from '../lib/scenario.js';
import type { Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';
import { alternateWithWrk, runWrk } from '../lib/wrk.js';
import { freePort, getOnce } from './cluster.js';

const restarts = 'failed requests over 3 reloads (tend) / restarts (PM2) of a Python app';
const refused = 'connections refused after kill -9 of the app under load';

async function round(s: Session, rec: Recorder, toolName: 'tend' | 'pm2'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tend-bench-sockets-'));
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    await s.ensureDaemon();
    const base = s.startArgs('py', fixture('socket-app.py'), [String(port)]);
    const dash = base.indexOf('--');
    const extra = toolName === 'tend' ? ['--interpreter', 'python3', '--listen', `127.0.0.1:${port}`] : ['--interpreter', 'python3'];
    await s.cliOk([...base.slice(0, dash), ...extra, ...base.slice(dash)]);
    await waitFor('the Python app to answer', async () => (await getOnce(port)) !== null, 20_000);
    let load = runWrk(url, 7);
    await delay(1000);
    for (let i = 0; i < 3; i++) {
      await s.cli([toolName === 'tend' ? 'reload' : 'restart', 'py']);
      await delay(500);
    }
    rec.add(restarts, toolName, (await load).failed);
    await waitFor('the Python app to answer', async () => (await getOnce(port)) !== null, 20_000);
    const app = (await s.list()).find((a) => a.name === 'py');
    load = runWrk(url, 4);
    await delay(1000);
    if (app?.pid) process.kill(app.pid, 'SIGKILL');
    rec.add(refused, toolName, (await load).connectErrors);
    for (const p of await s.list()) if (p.pid !== null) s.track(p.pid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sockets: Scenario = {
  name: 'sockets',
  description:
    'a Python HTTP app (any language) under wrk load: tend passes it a held socket (--listen, LISTEN_FDS); PM2 restarts it in fork mode',
  defaultRounds: 1,
  metrics: [
    { metric: restarts, unit: 'requests', target: '0', pm2Reference: 'port closed ~350 ms per restart' },
    { metric: refused, unit: 'connections', target: '0', pm2Reference: 'refused until it is back' },
  ],
  run: (ctx, rec) => alternateWithWrk(ctx, rec, (s, tool) => round(s, rec, tool)),
};
