import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, TendHome, fixture, freePort, httpGet, isAlive, waitFor, type CliResult, type ProcessJson } from '../helpers/tend.js';
import { countNumbered, waitDrained } from '../helpers/log-files.js';

/** Checks "line 1".."line N" appear exactly once each, in order; returns N. */
function assertNumbered(text: string): number {
  const r = countNumbered(text);
  assert.equal(r.error, null);
  return r.count;
}

describe('the daemon is not a single point of failure', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('kill -9 of the daemon leaves apps running; the next command re-adopts them and no line is lost or doubled', async () => {
    const port = await freePort();
    const [web] = await t.json<ProcessJson[]>(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`]);
    // ~5,000 lines/s in bursts: more than the 64 KiB pipe buffer while the daemon is away.
    const [counter] = await t.json<ProcessJson[]>([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'counter',
      '--env',
      'BURST=50',
      '--env',
      'INTERVAL_MS=10',
    ]);
    const outLog = join(t.home, 'logs', 'counter-out.log');
    await waitFor(() => readFileSync(outLog, 'utf8').includes('line 500\n'), 'the first lines');
    // Pause the app until the daemon has written what it read (log-kills.test covers kills in
    // the middle of writes), then let it write on while no daemon runs: all of that must arrive.
    process.kill(counter?.pid as number, 'SIGSTOP');
    await waitDrained(outLog);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    process.kill(counter?.pid as number, 'SIGCONT');
    // While no daemon reads, the app keeps running (blocked on a full pipe at worst).
    const frozen = readFileSync(outLog, 'utf8').length;
    assert.ok(isAlive(web?.pid as number) && isAlive(counter?.pid as number));
    assert.ok(await httpGet(port), 'the web app must answer while no daemon runs');

    const list = await t.list();
    const newDaemon = t.daemonPid() as number;
    assert.notEqual(newDaemon, daemon);
    for (const app of list) {
      assert.equal(app.status, 'online');
      assert.equal(app.adopted, true);
    }
    assert.equal(list.find((a) => a.name === 'web')?.pid, web?.pid);
    assert.equal(list.find((a) => a.name === 'counter')?.pid, counter?.pid);
    const n = await waitFor(() => {
      const text = readFileSync(outLog, 'utf8');
      return text.length > frozen + 20_000 ? text : undefined;
    }, 'the backlog to drain and new lines to arrive');
    const total = assertNumbered(n.slice(0, n.lastIndexOf('\n') + 1));
    assert.ok(total > 500);
  });

  it('restarts an adopted app when it dies later, with its restart count kept', async () => {
    const web = await t.app('web');
    process.kill(web.pid as number, 'SIGKILL');
    const next = await waitFor(async () => {
      const a = await t.app('web');
      return a.pid !== null && a.pid !== web.pid && a.status === 'online' ? a : undefined;
    }, 'the adopted app to be restarted');
    assert.equal(next.restarts, web.restarts + 1);
    assert.equal(next.adopted, false);
    assert.equal(next.lastExit?.unknown, true);
  });

  it('daemon restart replaces the daemon on purpose, apps untouched, lines kept', async () => {
    const before = await t.list();
    const oldDaemon = t.daemonPid() as number;
    const r = await t.json<{ oldPid: number; pid: number; adopted: number }>(['daemon', 'restart']);
    assert.equal(r.oldPid, oldDaemon);
    assert.notEqual(r.pid, oldDaemon);
    assert.equal(isAlive(oldDaemon), false);
    assert.equal(r.adopted, before.length);
    const after = await t.list();
    assert.deepEqual(
      after.map((a) => a.pid),
      before.map((a) => a.pid),
    );
    const outLog = join(t.home, 'logs', 'counter-out.log');
    const size = readFileSync(outLog, 'utf8').length;
    const text = await waitFor(() => {
      const s = readFileSync(outLog, 'utf8');
      return s.length > size + 10_000 ? s : undefined;
    }, 'lines after the daemon restart');
    assertNumbered(text.slice(0, text.lastIndexOf('\n') + 1));
  });

  it('a daemon started while an app died in its absence restarts that app', async () => {
    const oldDaemon = t.daemonPid() as number;
    await t.run(['daemon', 'stop']);
    await waitFor(() => !isAlive(oldDaemon), 'the daemon to stop');
    const web = await waitFor(() => {
      const state = JSON.parse(readFileSync(join(t.home, 'state.json'), 'utf8')) as {
        apps: Array<{ spec: { name: string }; pid: number }>;
      };
      return state.apps.find((a) => a.spec.name === 'web');
    }, 'the state file');
    process.kill(web.pid, 'SIGKILL');
    await waitFor(() => !isAlive(web.pid), 'the app to die');
    const list = await t.list();
    const w = list.find((a) => a.name === 'web');
    assert.ok(w !== undefined, 'the app is still known to the new daemon');
    assert.equal(w.status, 'online');
    assert.ok(typeof w.pid === 'number' && w.pid !== web.pid && isAlive(w.pid), 'the dead app was restarted by the new daemon');
    assert.equal(w.adopted, false, 'a new process, not the dead one adopted');
  });
  it('`tend kill` with no daemon running still stops the apps a stopped daemon left running', async () => {
    const before = await t.list();
    const pids = before.map((a) => a.pid).filter((p): p is number => typeof p === 'number');
    assert.ok(pids.length >= 2 && pids.every(isAlive), 'the apps run');
    const oldDaemon = t.daemonPid() as number;
    await t.run(['daemon', 'stop']);
    await waitFor(() => !isAlive(oldDaemon), 'the daemon to stop');
    assert.ok(pids.every(isAlive), 'the apps keep running without a daemon');
    const out = await t.run(['kill']);
    assert.match(out.stdout, new RegExp(`stopped ${before.length} app\\(s\\) and the daemon`));
    for (const pid of pids) await waitFor(() => !isAlive(pid), `app ${pid} to be stopped`);
    const daemon = t.daemonPid();
    if (daemon !== null) await waitFor(() => !isAlive(daemon), 'the daemon that stopped them to exit');
    // Nothing left to stop: no daemon is started for nothing.
    const again = await t.run(['kill']);
    assert.equal(again.stdout.trim(), 'no daemon running');
  });
});

describe('daemon stop says what keeps running', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });

  it('counts the apps that keep a process, not the stopped ones', async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'up']);
    await t.json(['start', fixture('forever.js'), '--name', 'down']);
    await t.json(['stop', 'down']);
    const r = await t.run(['daemon', 'stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /; 1 app\(s\) keep running$/m);
    assert.equal((await t.run(['ping'])).code, 0);
    const again = await t.run(['daemon', 'stop', '--json']);
    assert.equal((JSON.parse(again.stdout) as { apps: number }).apps, 1);
  });

  it('daemon restart counts the apps it adopted, a cluster app once', async () => {
    const port = await freePort();
    await t.json(['start', fixture('cluster-server.js'), '--name', 'pool', '-i', '2', '--env', `PORT=${port}`]);
    await waitFor(async () => (await t.list()).filter((p) => p.name === 'pool' && p.status === 'online').length === 2, 'both instances');
    const r = await t.run(['daemon', 'restart']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /; 2 running app\(s\) adopted$/m, 'up and pool (its 2 instances are one app)');
    const json = await t.json<{ apps: number; adopted: number }>(['daemon', 'restart']);
    assert.deepEqual([json.apps, json.adopted], [3, 2]);
  });
});

describe('a command under way when the daemon is asked to exit', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });

  const stopUnderWay = async (name: string): Promise<{ pid: number; stop: Promise<CliResult> }> => {
    const [app] = await t.json<ProcessJson[]>([
      'start',
      fixture('ignore-sigterm.js'),
      '--name',
      name,
      '--kill-signal',
      'SIGTERM',
      '--kill-timeout',
      '2s',
    ]);
    const pid = app?.pid as number;
    await waitFor(() => readFileSync(join(t.home, 'logs', `${name}-out.log`), 'utf8').includes(`started ${pid}`), 'its SIGTERM handler');
    const stop = t.run(['stop', name]);
    await waitFor(async () => (await t.app(name)).status === 'stopping', 'the stop under way');
    return { pid, stop };
  };

  it('daemon restart: the stop gets its answer, not a closed connection', async () => {
    const { pid, stop } = await stopUnderWay('slow1');
    const restart = await t.run(['daemon', 'restart']);
    assert.equal(restart.code, 0, restart.stderr);
    const r = await stop;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slow1\s+default\s+stopped/);
    assert.equal(isAlive(pid), false);
  });

  it('daemon stop: the stop under way is finished, not left to a daemon that may never come', async () => {
    const { pid, stop } = await stopUnderWay('slow2');
    const daemon = t.daemonPid() as number;
    const r = await t.run(['daemon', 'stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stop).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to exit');
    assert.equal(isAlive(pid), false, 'the app the stop was for is gone');
  });

  it('tend kill while a daemon stop waits for a stop under way still stops every app', async () => {
    const [other] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'other']);
    const waits = (): number => readFileSync(join(t.home, 'daemon.log'), 'utf8').split('"requests-under-way"').length;
    const before = waits();
    const { pid, stop } = await stopUnderWay('slow3');
    const daemonStop = t.run(['daemon', 'stop']);
    await waitFor(() => waits() > before, 'the daemon to wait for the stop under way');
    const killed = await t.run(['kill']);
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal((await daemonStop).code, 0);
    await stop;
    for (const p of [pid, other?.pid as number]) await waitFor(() => !isAlive(p), `app ${p} to be stopped by tend kill`);
  });
});

describe('followers across daemon restarts', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });

  it('tend logs and tend events follow on across daemon restart, and stop with a message when no daemon comes back', async () => {
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'ticker', '--env', 'INTERVAL_MS=50']);
    const followers = (['logs', 'events'] as const).map((verb) => {
      const child = spawn(process.execPath, [BIN, verb, ...(verb === 'logs' ? ['ticker', '--lines', '0'] : [])], { env: t.env });
      t.track(child.pid as number);
      const seen = { out: '', err: '', code: null as number | null };
      child.stdout.on('data', (d: Buffer) => (seen.out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (seen.err += d.toString()));
      child.on('exit', (code) => (seen.code = code));
      return seen;
    });
    const [logs, events] = followers as [(typeof followers)[0], (typeof followers)[0]];
    await waitFor(() => /line \d+/.test(logs.out), 'the follower to print lines');
    const oldDaemon = t.daemonPid() as number;
    const r = await t.run(['daemon', 'restart']);
    assert.equal(r.code, 0, r.stderr);
    const newDaemon = t.daemonPid() as number;
    await waitFor(() => logs.err.includes(`(pid ${oldDaemon} → ${newDaemon}); following again`), 'logs to follow the new daemon', 15_000);
    const before = logs.out.length;
    await waitFor(() => /line \d+/.test(logs.out.slice(before)), 'lines through the new daemon');
    assert.equal(logs.code, null, 'logs still follows');
    await waitFor(() => events.err.includes('following again'), 'events to follow the new daemon', 15_000);
    await t.json(['restart', 'ticker']);
    await waitFor(() => /ticker\[0\] online/.test(events.out), 'an event through the new daemon');

    assert.equal((await t.run(['daemon', 'stop'])).code, 0);
    await waitFor(() => logs.code !== null && events.code !== null, 'the followers to end', 25_000);
    assert.equal(logs.code, 0);
    assert.match(logs.err, new RegExp(`the daemon \\(pid ${newDaemon}\\) exited and none came back; stopped following`));
  });
});

describe('a daemon that does not answer', () => {
  const t = new TendHome();
  after(async () => {
    const pid = t.daemonPid();
    if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGCONT');
    await t.cleanup();
  });

  it('daemon restart replaces a hung daemon (SIGSTOPped): the apps keep running and are adopted', async () => {
    const [app] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'kept']);
    const hung = t.daemonPid() as number;
    t.track(hung);
    process.kill(hung, 'SIGSTOP');
    const r = await t.run(['daemon', 'restart'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`the daemon \\(pid ${hung}\\) did not answer within 5 s; killed it \\(SIGKILL\\)`));
    await waitFor(() => !isAlive(hung), 'the hung daemon to be gone');
    const kept = await t.app('kept');
    assert.equal(kept.pid, app?.pid, 'the app kept running');
    assert.equal(kept.adopted, true);
  });

  it('other commands do not wait forever for a hung daemon: exit 3 with what to do', async () => {
    const hung = t.daemonPid() as number;
    t.track(hung);
    process.kill(hung, 'SIGSTOP');
    try {
      const r = await t.run(['stop', 'kept'], { timeoutMs: 30_000 });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /did not answer within 10 s .* `tend daemon restart` replaces it/);
    } finally {
      process.kill(hung, 'SIGCONT');
    }
    // Resumed, it answers again (and may do the stop it had been sent: the message says so).
    assert.equal((await t.run(['list'])).code, 0);
  });
});
