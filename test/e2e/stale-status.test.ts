import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { markedHomes } from '../helpers/marked.js';
import { commandMissing, needs } from '../helpers/needs.js';

const prlimit = needs(commandMissing('prlimit', ['--version'], 'it comes with util-linux, which scripts/test.sh installs'));

/**
 * `tend list` reads the status the daemon publishes. A daemon that cannot publish (out of file
 * descriptors, hung) must not make a dead app look online: list asks the daemon, and when that
 * gets no answer either it says the list is stale, how old it is, and which process is gone
 * (issue 19, item 6).
 */
describe('list never shows a dead app online without saying so', () => {
  const homes = markedHomes();
  after(() => homes.cleanup());

  /** Rows claiming a live process whose pid is dead, unless stderr marks them stale. */
  const unmarkedDead = (rows: ProcessJson[], stderr: string): ProcessJson[] =>
    rows.filter(
      (p) =>
        p.status === 'online' &&
        p.pid !== null &&
        !isAlive(p.pid) &&
        !new RegExp(`STALE.*${p.name} \\(pid ${p.pid}\\) is no longer running`).test(stderr),
    );

  it('a hung daemon: the dead app is reported stale, with the age of the list', async () => {
    const { t } = homes.home();
    const [app] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'a']);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    await waitFor(async () => (await t.list())[0]?.status === 'online', 'a online in the published list');
    process.kill(daemon, 'SIGSTOP');
    try {
      process.kill(app?.pid as number, 'SIGKILL');
      await waitFor(() => !isAlive(app?.pid as number), 'the app to die');
      const r = await t.run(['list', '--json'], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as ProcessJson[];
      assert.deepEqual(unmarkedDead(rows, r.stderr), [], `stderr: ${r.stderr}`);
      assert.match(r.stderr, /STALE: the daemon \(pid \d+\) did not answer .*, \d+(ms|s) old/);
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    // Once the daemon runs again, the list is the truth: a new run of the app.
    await waitFor(async () => {
      const r = await t.run(['list', '--json']);
      const rows = JSON.parse(r.stdout) as ProcessJson[];
      t.remember(rows);
      return rows[0]?.status === 'online' && rows[0].pid !== app?.pid && !/STALE/.test(r.stderr);
    }, 'the restarted app');
    assert.equal((await t.run(['kill'])).code, 0);
  });

  prlimit.it('a daemon out of file descriptors: list never shows the dead app online unmarked', async () => {
    const { t } = homes.home();
    const [app] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'a']);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    await waitFor(async () => (await t.list())[0]?.status === 'online', 'a online in the published list');
    // Every descriptor the daemon may have is in use: no file, socket or pipe can be opened.
    const open = readdirSync(`/proc/${daemon}/fd`).length;
    const soft = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${daemon}/limits`, 'utf8'))?.[1] as string;
    execFileSync('prlimit', ['--pid', String(daemon), `--nofile=${open}:`]);
    try {
      process.kill(app?.pid as number, 'SIGKILL');
      await waitFor(() => !isAlive(app?.pid as number), 'the app to die');
      for (let i = 0; i < 5; i++) {
        const r = await t.run(['list', '--json'], { timeoutMs: 20_000 });
        if (r.code !== 0) continue;
        const rows = JSON.parse(r.stdout) as ProcessJson[];
        t.remember(rows);
        assert.deepEqual(unmarkedDead(rows, r.stderr), [], `stderr: ${r.stderr}`);
      }
    } finally {
      execFileSync('prlimit', ['--pid', String(daemon), `--nofile=${soft}:`]);
    }
    await waitFor(
      async () => {
        const rows = await t.list();
        return rows[0]?.status === 'online' && rows[0].pid !== app?.pid;
      },
      'the restarted app',
      30_000,
    );
    assert.equal((await t.run(['kill'])).code, 0);
  });
});
