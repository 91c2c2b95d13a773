import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture, freePort, httpGet, isAlive, waitFor, type ProcessJson, type TendHome } from '../helpers/tend.js';
import { markedHomes, markedPids } from '../helpers/marked.js';
import { startLoad } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

/**
 * A `kill -9` of the daemon in the middle of an operation the user asked for (restart, reload,
 * scale, apply, start of a file) must be followed by a daemon that finishes it: every app runs,
 * each with exactly one process, made by the operation (issue 19, item 1). The daemon is killed
 * at its Nth spawn line in daemon.log, or at the fault point right after it recorded the
 * operation (TEND_TEST_KILL_AT=after-operation:N, src/supervisor/fault-points.ts).
 */
describe('an operation interrupted by a kill -9 of the daemon is finished by the next one', () => {
  const homes = markedHomes();
  const dir = mkdtempSync(join(tmpdir(), 'tend-ops-'));
  after(async () => {
    await homes.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `count` apps from one file: every other one ignores SIGTERM (kill_timeout 1 s). */
  async function manyApps(t: TendHome, count: number, env: Record<string, string> = {}): Promise<string> {
    const file = join(dir, `apps-${count}-${Math.random().toString(36).slice(2)}.config.json`);
    const apps = Array.from({ length: count }, (_, i) => ({
      name: `a${i}`,
      script: fixture(i % 2 === 1 ? 'ignore-sigterm.js' : 'forever.js'),
      kill_timeout: 1000,
      env,
    }));
    writeFileSync(file, JSON.stringify({ apps }));
    return file;
  }

  /** Runs a command and kills the daemon the instant its log shows the Nth spawn from now. */
  async function killAtSpawn(t: TendHome, args: string[], nth: number): Promise<void> {
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const log = join(t.home, 'daemon.log');
    let at = readFileSync(log).length;
    let seen = 0;
    const command = t.run(args, { timeoutMs: 60_000 });
    const fd = openSync(log, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      await waitFor(
        () => {
          for (;;) {
            const n = readSync(fd, buf, 0, buf.length, at);
            if (n <= 0) break;
            at += n;
            seen += buf.subarray(0, n).toString('latin1').split('"event":"spawn"').length - 1;
          }
          if (seen < nth) return false;
          process.kill(daemon, 'SIGKILL');
          return true;
        },
        `spawn #${nth} of \`tend ${args.join(' ')}\``,
        60_000,
        1,
      );
    } finally {
      closeSync(fd);
    }
    const r = await command;
    assert.notEqual(r.code, 0, `the daemon died during \`tend ${args.join(' ')}\``);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
  }

  /** Every app online, each with exactly one live process, the one tend shows, none of `old`. */
  async function allRunOnce(t: TendHome, mark: { name: string; value: string }, names: string[], old: Map<string, number>): Promise<void> {
    await waitFor(
      async () => {
        const list = await t.list();
        t.remember(list);
        return names.every((n) => {
          const app = list.find((p) => p.name === n);
          const pids = markedPids(mark, n);
          return app?.status === 'online' && pids.length === 1 && app.pid === pids[0] && app.pid !== old.get(n);
        });
      },
      'every app online with one new process',
      60_000,
      100,
    );
    // Nothing else comes up later: a second copy would show here.
    await t.run(['ping']);
    for (const n of names) assert.equal(markedPids(mark, n).length, 1, `${n}: one process`);
    assert.equal((await t.run(['kill'], { timeoutMs: 60_000 })).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing', 30_000);
  }

  const pidsOf = async (t: TendHome): Promise<Map<string, number>> => new Map((await t.list()).map((p) => [p.name, p.pid as number]));

  for (const [verb, nth] of [
    ['restart', 20],
    ['restart', 33],
    ['reload', 25],
  ] as const) {
    it(`\`tend ${verb} all\` of 50 apps, the daemon killed at its spawn #${nth}: every app ends restarted, once`, async () => {
      const { t, mark } = homes.home();
      const file = await manyApps(t, 50);
      assert.equal((await t.run(['start', file], { timeoutMs: 60_000 })).code, 0);
      const old = await pidsOf(t);
      await killAtSpawn(t, [verb, 'all'], nth);
      await allRunOnce(t, mark, [...old.keys()], old);
    });
  }

  it('`tend start <file>` of 40 new apps, the daemon killed at its spawn #15: every app the daemon took runs, once', async () => {
    const { t, mark } = homes.home();
    assert.equal((await t.run(['ping'])).code, 0);
    const file = await manyApps(t, 40);
    await killAtSpawn(t, ['start', file], 15);
    // The CLI sends every app before the first answer: the next daemon knows them all.
    const names = (await t.list()).map((p) => p.name);
    assert.ok(names.length >= 15, `${names.length} apps known`);
    await allRunOnce(t, mark, names, new Map());
  });

  it('`tend start <file>` with a changed spec (apply), the daemon killed right after recording it: the new spec runs', async () => {
    const { t, mark } = homes.home();
    const first = await manyApps(t, 6, { RELEASE: 'one' });
    assert.equal((await t.run(['start', first], { timeoutMs: 60_000 })).code, 0);
    const old = await pidsOf(t);
    const r0 = await t.run(['daemon', 'restart'], { env: { ...t.env, TEND_TEST_KILL_AT: 'after-operation:3' } });
    assert.equal(r0.code, 0, r0.stderr);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const second = first.replace('.config.json', '-2.config.json');
    writeFileSync(second, readFileSync(first, 'utf8').replaceAll('"one"', '"two"'));
    assert.notEqual((await t.run(['start', second], { timeoutMs: 60_000 })).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const names = [...old.keys()];
    // The CLI sends one request per app, in order: the daemon died on recording the third.
    const changed = ['a0', 'a1', 'a2'];
    await waitFor(
      async () => {
        const list = await t.list();
        t.remember(list);
        return changed.every((n) => {
          const pids = markedPids(mark, n);
          return (
            pids.length === 1 &&
            list.find((p) => p.name === n)?.status === 'online' &&
            readFileSync(`/proc/${pids[0]}/environ`, 'latin1').includes('\0RELEASE=two\0')
          );
        });
      },
      'every app the daemon took running its new spec',
      60_000,
      100,
    );
    await allRunOnce(t, mark, names, new Map(changed.map((n) => [n, old.get(n) as number])));
  });

  async function clusterApp(t: TendHome, instances: number): Promise<Row[]> {
    const port = await freePort();
    const started = await t.json<Row[]>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'web',
      '-i',
      String(instances),
      '--env',
      `PORT=${port}`,
    ]);
    t.track(started[0]?.holderPid as number);
    return started;
  }

  async function armOperationFault(t: TendHome): Promise<number> {
    const r = await t.run(['daemon', 'restart'], { env: { ...t.env, TEND_TEST_KILL_AT: 'after-operation:1' } });
    assert.equal(r.code, 0, r.stderr);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    return daemon;
  }

  it('`tend reload` of a cluster app, the daemon killed right after recording it: every worker is replaced', async () => {
    const { t } = homes.home();
    const before = await clusterApp(t, 2);
    const daemon = await armOperationFault(t);
    assert.notEqual((await t.run(['reload', 'web'])).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const old = new Set(before.map((r) => r.pid));
    await waitFor(
      async () => {
        const rows = ((await t.list()) as Row[]).filter((p) => p.name === 'web');
        t.remember(rows);
        return (
          rows.length === 2 &&
          rows.every((r) => r.status === 'online' && r.pid !== null && !old.has(r.pid)) &&
          rows[0]?.holderPid === before[0]?.holderPid
        );
      },
      'both workers replaced by the same holder',
      60_000,
      100,
    );
    assert.equal((await t.run(['kill'])).code, 0);
  });

  it('`tend reload` of a cluster app, the daemon killed while its holder replaces workers: each worker is replaced once', async () => {
    const { t } = homes.home();
    const before = await clusterApp(t, 2);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const holderLog = join(t.home, 'holders', `${before[0]?.id}.log`);
    const reloads = (): string[] =>
      readFileSync(holderLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('(reload)'));
    const command = t.run(['reload', 'web'], { timeoutMs: 60_000 });
    // The holder has the request and replaces instance 0: the daemon dies before it answers.
    await waitFor(() => reloads().length >= 1, 'the holder to start the reload', 30_000, 5);
    process.kill(daemon, 'SIGKILL');
    assert.notEqual((await command).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    // The next daemon finishes the operation: it is done once the state file no longer holds it.
    const state = (): Array<{ id: number; pending?: unknown }> =>
      (JSON.parse(readFileSync(join(t.home, 'state.json'), 'utf8')) as { apps: Array<{ id: number; pending?: unknown }> }).apps;
    t.remember(await t.list());
    await waitFor(() => state().every((a) => a.pending === undefined || a.pending === null), 'the reload to be finished', 60_000, 50);
    const rows = ((await t.list()) as Row[]).filter((p) => p.name === 'web');
    t.remember(rows);
    const old = new Set(before.map((r) => r.pid));
    assert.ok(rows.length === 2 && rows.every((r) => r.status === 'online' && !old.has(r.pid)), 'both workers replaced');
    assert.equal(reloads().length, 2, `one new process per instance, not a second reload:\n${reloads().join('\n')}`);
    assert.equal((await t.run(['kill'])).code, 0);
  });

  it('`tend reload` of a fork-mode Node app, the daemon killed right after recording it: the next daemon reloads it, the port never closes', async () => {
    const { t } = homes.home();
    const port = await freePort();
    const [before] = await t.json<Row[]>(['start', fixture('http-server.js'), '--name', 'one', '--env', `PORT=${port}`]);
    await waitFor(() => httpGet(port), 'the app to listen');
    const load = startLoad(port, 4, 60_000);
    await waitFor(() => load.snapshot().ok > 20, 'requests served');
    const daemon = await armOperationFault(t);
    assert.notEqual((await t.run(['reload', 'one'])).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const after = await waitFor(
      async () => {
        const [row] = ((await t.list()) as Row[]).filter((p) => p.name === 'one');
        t.remember(row);
        return row?.status === 'online' && row.pid !== before?.pid ? row : null;
      },
      'a new process',
      30_000,
      100,
    );
    await waitFor(() => !isAlive(before?.pid as number), 'the old process to be retired');
    const served = load.snapshot().ok;
    await waitFor(() => load.snapshot().ok > served + 20, 'requests served by the new process');
    const result = await load.stop();
    // A handoff, not a restart: the new process took the listening socket before the old one
    // went, so no connection was ever refused (an adopted old process, with no channel to drain
    // it, is stopped at once: a request in flight on it may be cut).
    assert.equal(result.errors.ECONNREFUSED ?? 0, 0, JSON.stringify(result.errors));
    const [detail] = await t.json<Array<{ lastReload: { ok: boolean } | null }>>(['describe', 'one']);
    assert.equal(detail?.lastReload?.ok, true, 'recorded as a reload');
    assert.ok(after.pid !== null);
    assert.equal((await t.run(['kill'])).code, 0);
  });

  it('`tend scale` of a cluster app, the daemon killed right after recording it: the new count runs and stays', async () => {
    const { t } = homes.home();
    await clusterApp(t, 2);
    const daemon = await armOperationFault(t);
    assert.notEqual((await t.run(['scale', 'web', '4'])).code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    await waitFor(
      async () => {
        const rows = ((await t.list()) as Row[]).filter((p) => p.name === 'web');
        t.remember(rows);
        return rows.length === 4 && rows.every((r) => r.status === 'online');
      },
      'four workers',
      60_000,
      100,
    );
    // The count is the app's own now: a restart keeps it.
    assert.equal((await t.run(['restart', 'web'])).code, 0);
    const rows = ((await t.list()) as Row[]).filter((p) => p.name === 'web');
    t.remember(rows);
    assert.equal(rows.length, 4);
    assert.equal((await t.run(['kill'])).code, 0);
  });
});
