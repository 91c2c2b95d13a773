import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RpcClient } from '../../src/rpc/client.js';
import { TendHome, isAlive, type ProcessJson } from '../helpers/tend.js';

// Behaviour, not wall-clock ceilings (those are in `npm run bench`, scenario many-apps): a bulk
// command's daemon cost grows linearly with the number of apps, the daemon keeps answering while
// it runs, and every app ends up with exactly one new process.

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function writeApps(dir: string, prefix: string, n: number): string {
  const file = join(dir, `${prefix}.config.json`);
  const apps = Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-${i}`,
    script: '/bin/sleep',
    args: ['100000'],
    interpreter: 'none',
  }));
  writeFileSync(file, JSON.stringify({ apps }));
  return file;
}

describe('bulk commands scale linearly and keep the daemon responsive', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  /** Restarts all apps and checks each got one new live process; returns the daemon's CPU ticks for it. */
  async function restartAll(
    n: number,
  ): Promise<{ ticks: number; pingsDuring: number; slowestPingMs: number; p90PingMs: number; wallMs: number }> {
    const before = await t.list();
    assert.equal(before.length, n);
    const daemon = t.daemonPid() as number;
    const client = await RpcClient.connect(join(t.home, 'daemon.sock'), 'test');
    let done = false;
    let pingsDuring = 0;
    let slowestPingMs = 0;
    const pings: number[] = [];
    const pinger = (async () => {
      while (!done) {
        const start = Date.now();
        await client.call('daemon.info', {}, 30_000);
        if (!done) {
          pingsDuring += 1;
          slowestPingMs = Math.max(slowestPingMs, Date.now() - start);
          pings.push(Date.now() - start);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const ticks0 = cpuTicks(daemon);
    const start = Date.now();
    const restarted = await t.json<ProcessJson[]>(['restart', 'all']);
    const wallMs = Date.now() - start;
    const ticks = cpuTicks(daemon) - ticks0;
    done = true;
    await pinger;
    client.close();
    assert.equal(restarted.length, n);
    const after = await t.list();
    const oldPids = new Set(before.map((a) => a.pid));
    const newPids = new Set(after.map((a) => a.pid));
    assert.equal(newPids.size, n, 'every app has its own process');
    for (const a of after) {
      assert.equal(a.status, 'online', a.name);
      assert.ok(a.pid !== null && !oldPids.has(a.pid) && isAlive(a.pid), `${a.name} has a new live pid`);
      assert.equal(a.restarts, 1, a.name);
    }
    for (const pid of oldPids) assert.equal(isAlive(pid as number), false, `old pid ${pid} is gone`);
    pings.sort((x, y) => x - y);
    const p90PingMs = pings[Math.floor(pings.length * 0.9)] ?? 0;
    return { ticks, pingsDuring, slowestPingMs, p90PingMs, wallMs };
  }

  it('restart all: 4× the apps costs the daemon under 10× the CPU (a quadratic cost gives 16×)', async (ctx) => {
    const small = 50;
    const big = 200;
    await t.json(['start', writeApps(t.home, 'small', small)]);
    const a = await restartAll(small);
    await t.json(['delete', 'all']);
    await t.json(['start', writeApps(t.home, 'big', big)]);
    const b = await restartAll(big);
    // At least a tick each, so one tick of noise cannot make the ratio.
    const ratio = b.ticks / Math.max(a.ticks, 2);
    ctx.diagnostic(`${small} apps: ${JSON.stringify(a)}; ${big} apps: ${JSON.stringify(b)}`);
    // Measured 3.9–6.5× here (other daemons' work on a loaded machine adds noise); 16× is quadratic.
    assert.ok(ratio < 10, `daemon CPU: ${a.ticks} ticks for ${small} apps, ${b.ticks} for ${big} (×${ratio.toFixed(1)})`);
    // The daemon kept answering while the restart ran (a ping every 5 ms: at least one answer per
    // 200 ms on average), and 9 pings in 10 waited for a small part of the command. Not the
    // slowest one: a write can stall in the filesystem on its own (ext4 here held a 2 KB rename
    // for 0.5 s once while 200 processes were starting); a daemon busy with O(apps²) work
    // delays most pings, not one. The slowest ping is a bench figure (scenario many-apps).
    assert.ok(b.pingsDuring >= b.wallMs / 200, `only ${b.pingsDuring} pings answered during a ${b.wallMs} ms restart`);
    assert.ok(b.p90PingMs < b.wallMs / 10, `9 pings in 10 waited up to ${b.p90PingMs} ms of a ${b.wallMs} ms restart`);
  });

  it('stop all, start all and delete all act on every app once', async () => {
    const stopped = await t.json<ProcessJson[]>(['stop', 'all']);
    assert.ok(stopped.every((a) => a.status === 'stopped' && a.pid === null));
    const started = await t.json<ProcessJson[]>(['start', 'all']);
    assert.equal(new Set(started.map((a) => a.pid)).size, started.length);
    assert.ok(started.every((a) => a.status === 'online'));
    const pids = started.map((a) => a.pid as number);
    const deleted = await t.json<ProcessJson[]>(['delete', 'all']);
    assert.equal(deleted.length, started.length);
    assert.deepEqual(await t.list(), []);
    for (const pid of pids) assert.equal(isAlive(pid), false);
  });
});
