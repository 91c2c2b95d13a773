import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { markedPids, newMark } from '../helpers/marked.js';
import { readAllLogText, waitDrained } from '../helpers/log-files.js';
import { TendHome, fixture, isAlive, waitFor } from '../helpers/tend.js';

// Random kill -9 of apps and of the daemon while apps print numbered lines and restarts run.
// Afterwards: one process per app, all managed, no zombie, no fd leak in the daemon, restart
// counts equal to the runs the apps recorded, and per run every line in order exactly once,
// daemon kills included (output goes through a spool and a journal: see FifoSpool).

const CHAOS_MS = Number(process.env.TEND_CHAOS_MS ?? 30_000);
const APPS = ['c0', 'c1', 'c2'];

/** A deterministic random sequence, so a failure can be replayed (the seed is printed). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function statOf(pid: number): { state: string; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '?', ppid: Number(f[1]) };
  } catch {
    return null;
  }
}

function zombieChildrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => {
      const st = statOf(p);
      return st !== null && st.ppid === pid && st.state === 'Z';
    });
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

describe('chaos: random kill -9 of apps and of the daemon', () => {
  const mark = newMark();
  let t: TendHome;
  const runsFile = (name: string): string => join(t.home, `runs-${name}`);
  const runs = (name: string): number[] => {
    try {
      return readFileSync(runsFile(name), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  before(async () => {
    t = new TendHome({ [mark.name]: mark.value });
    for (const name of APPS) {
      await t.json([
        'start',
        fixture('chaos-app.js'),
        '--name',
        name,
        '--env',
        `RUNS_FILE=${join(t.home, `runs-${name}`)}`,
        '--log-max-size',
        '100M',
        '--max-restarts',
        '100000',
      ]);
    }
  });
  after(async () => {
    await t.cleanup();
  });

  it('no duplicate, no orphan, no zombie, no fd leak; restart counts and log lines right', async (ctx) => {
    const seed = Number(process.env.TEND_CHAOS_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const counts = { appKills: 0, daemonKills: 0, restarts: 0 };
    const restartsOf = new Map<string, number>();
    const end = Date.now() + CHAOS_MS;
    while (Date.now() < end) {
      const roll = random();
      const name = APPS[Math.floor(random() * APPS.length)] as string;
      if (roll < 0.15) {
        const daemon = t.daemonPid();
        if (daemon !== null && isAlive(daemon)) {
          t.track(daemon);
          process.kill(daemon, 'SIGKILL');
          counts.daemonKills += 1;
          await waitFor(() => !isAlive(daemon), 'the daemon to die');
        }
      } else if (roll < 0.6) {
        // Only a run that has recorded itself, so every run the daemon starts is counted.
        const pid = runs(name).at(-1);
        if (pid !== undefined && isAlive(pid)) {
          t.track(pid);
          process.kill(pid, 'SIGKILL');
          counts.appKills += 1;
        }
      } else {
        const r = await t.run(['restart', name]);
        restartsOf.set(name, (restartsOf.get(name) ?? 0) + 1);
        if (r.code === 0) counts.restarts += 1;
      }
      await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 400)));
    }
    ctx.diagnostic(`seed ${seed}: ${JSON.stringify(counts)}`);

    // Settle: a daemon (adopting what runs), every app online with a run that recorded itself.
    const settled = await waitFor(
      async () => {
        const list = await t.list();
        return list.length === APPS.length && list.every((a) => a.status === 'online' && a.pid !== null && runs(a.name).at(-1) === a.pid)
          ? list
          : undefined;
      },
      'every app online again',
      30_000,
    );
    t.remember(settled);
    const daemon = t.daemonPid() as number;

    // No duplicate, no orphan: the marked processes of each app are exactly its managed one.
    for (const a of settled) assert.deepEqual(markedPids(mark, a.name), [a.pid], `${a.name}: processes alive`);
    assert.equal(markedPids(mark).length, APPS.length, "no process of these apps outside the daemon's view");
    // No zombie left by the daemon.
    assert.deepEqual(zombieChildrenOf(daemon), []);
    // Restart counts: every run an app recorded, but the first, is a restart. A run can also die
    // before it records itself (~40 ms of Node start-up): when a `tend restart` or a daemon kill
    // caught it that young. Never more restarts than that allows, never fewer than recorded.
    for (const a of settled) {
      const recorded = runs(a.name).length - 1;
      const young = (restartsOf.get(a.name) ?? 0) + counts.daemonKills;
      assert.ok(
        a.restarts >= recorded && a.restarts <= recorded + young,
        `${a.name}: ${a.restarts} restarts, ${recorded + 1} recorded runs, ${young} restarts/daemon kills that could catch a run before it recorded itself`,
      );
    }

    // No fd leak: after a warm-up round (files opened on first use, such as the intent journal,
    // stay open), the daemon holds as many fds after a round of restarts and kills as before it.
    const round = async (): Promise<void> => {
      for (let i = 0; i < 6; i++) {
        const name = APPS[i % APPS.length] as string;
        if (i % 2 === 0) assert.equal((await t.run(['restart', name])).code, 0);
        else {
          const pid = runs(name).at(-1) as number;
          process.kill(pid, 'SIGKILL');
          await waitFor(async () => {
            const a = await t.app(name);
            return a.pid !== pid && a.status === 'online' ? true : undefined;
          }, `${name} restarted`);
        }
      }
      await waitFor(async () => (await t.list()).every((a) => a.status === 'online' && runs(a.name).at(-1) === a.pid), 'all online');
      await waitFor(() => zombieChildrenOf(daemon).length === 0, 'no zombie');
    };
    await round();
    const fdsBefore = fdCount(daemon);
    await round();
    await round();
    await waitFor(() => fdCount(daemon) === fdsBefore, `the daemon back to ${fdsBefore} fds (has ${fdCount(daemon)})`, 10_000);
    assert.equal(t.daemonPid(), daemon);

    // Logs: per run, lines in order, never twice, none lost (the daemon kills included).
    // The apps are stopped first, so their logs stop growing and every run's tail is in.
    const stopped = await t.json<Array<{ status: string }>>(['stop', 'all']);
    assert.ok(stopped.every((a) => a.status === 'stopped'));
    let missingBytes = 0;
    let lines = 0;
    for (const name of APPS) {
      const file = join(t.home, 'logs', `${name}-out.log`);
      await waitDrained(file);
      const last = new Map<number, number>();
      for (const line of readAllLogText(file).split('\n')) {
        if (line === '') continue;
        const m = /^pid=(\d+) line (\d+)$/.exec(line);
        assert.ok(m !== null, `${name}: a torn or foreign line: ${JSON.stringify(line.slice(0, 80))}`);
        const pid = Number(m[1]);
        const n = Number(m[2]);
        const prev = last.get(pid) ?? 0;
        assert.ok(n > prev, `${name}: run ${pid} printed line ${n} after line ${prev} (duplicated or out of order)`);
        let gapBytes = 0;
        for (let k = prev + 1; k < n; k++) gapBytes += `pid=${pid} line ${k}\n`.length;
        missingBytes += gapBytes;
        last.set(pid, n);
        lines += 1;
      }
    }
    ctx.diagnostic(`lines checked: ${lines}; bytes missing: ${missingBytes} after ${counts.daemonKills} daemon kills`);
    assert.equal(missingBytes, 0, `${missingBytes} bytes missing after ${counts.daemonKills} daemon kills`);
    assert.ok(
      counts.daemonKills > 0 && counts.appKills > 0 && counts.restarts > 0,
      `every kind of chaos happened: ${JSON.stringify(counts)}`,
    );
  });
});
