import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getFresh, startLoad } from '../helpers/load-loop.js';
import { TendHome, fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
  instance?: number;
}

const CLIENTS = 30;
const address = (k: number): string => `127.0.0.${10 + k}`;

/**
 * Sticky sessions with plain HTTP (cluster-server.js answers "<version> <instance> <pid> <port>"):
 * which instance each client address reaches when a worker crashes and comes back, and reloads
 * that still drop nothing for traffic that needs no session.
 */
describe("sticky sessions: crashes move only the crashed instance's clients; reloads drop nothing", () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-sticky-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async (name: string): Promise<Row[]> => {
    const list = ((await t.list()) as Row[]).filter((p) => p.name === name);
    for (const r of list) t.remember(r);
    if (typeof list[0]?.holderPid === 'number') t.track(list[0].holderPid);
    return list;
  };

  async function startApp(name: string, instances: number, extra: string[] = []): Promise<number> {
    const port = await freePort();
    const r = await t.run([
      'start',
      fixture('cluster-server.js'),
      '--name',
      name,
      '-i',
      String(instances),
      '--sticky',
      '--env',
      `PORT=${port}`,
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    await rows(name);
    return port;
  }

  /** "<instance> <pid>" that answers client k on a new connection, or undefined. */
  const whoAnswers = async (port: number, k: number): Promise<{ instance: string; pid: string } | undefined> => {
    const body = await getFresh(port, '/', address(k));
    if (body === undefined) return undefined;
    const [, instance = '', pid = ''] = body.trim().split(' ');
    return { instance, pid };
  };

  it("each client keeps its instance; a killed worker's clients move (reconnecting), every other client stays, and all return once it is back", async () => {
    const port = await startApp('crashy', 3);
    const home = new Map<number, string>();
    for (let k = 0; k < CLIENTS; k++) {
      const first = await whoAnswers(port, k);
      assert.ok(first !== undefined, `client ${k} is answered`);
      for (let again = 0; again < 3; again++)
        assert.equal((await whoAnswers(port, k))?.instance, first.instance, `client ${k} keeps its instance`);
      home.set(k, first.instance);
    }
    assert.equal(new Set(home.values()).size, 3, 'the clients are spread over the 3 instances');

    const victim = (await rows('crashy')).find((r) => r.instance === 1);
    assert.ok(typeof victim?.pid === 'number');
    process.kill(victim.pid, 'SIGKILL');
    // While instance 1 is down and after it restarted: the other clients never move, instance 1's
    // clients are answered elsewhere (a request that met the dying worker is retried, as a client
    // would reconnect).
    for (let k = 0; k < CLIENTS; k++) {
      const now = await waitFor(() => whoAnswers(port, k), `client ${k} to be answered after the crash`);
      if (home.get(k) !== '1') assert.equal(now.instance, home.get(k), `client ${k} stays on instance ${home.get(k)}`);
    }
    await waitFor(
      async () => (await rows('crashy')).some((r) => r.instance === 1 && r.pid !== victim.pid && r.status === 'online'),
      'instance 1 back',
    );
    for (let k = 0; k < CLIENTS; k++) {
      const now = await waitFor(() => whoAnswers(port, k), `client ${k} to be answered`);
      assert.equal(now.instance, home.get(k), `client ${k} is back on instance ${home.get(k)}`);
    }
  });

  it('tend scale up gives the new instance its share of clients and moves no one else; scale down brings them back', async () => {
    const port = await startApp('scaled', 2);
    const instanceOf = async (): Promise<Map<number, string>> => {
      const out = new Map<number, string>();
      for (let k = 0; k < CLIENTS; k++) out.set(k, (await waitFor(() => whoAnswers(port, k), `client ${k} to be answered`)).instance);
      return out;
    };
    const two = await instanceOf();
    assert.equal((await t.run(['scale', 'scaled', '3'])).code, 0);
    await rows('scaled');
    const three = await instanceOf();
    const moved = [...three].filter(([, i]) => i === '2').length;
    assert.ok(moved > 0, 'the new instance gets clients');
    for (const [k, i] of three) if (i !== '2') assert.equal(i, two.get(k), `client ${k} stays on instance ${two.get(k)}`);
    assert.equal((await t.run(['scale', 'scaled', '2'])).code, 0);
    assert.deepEqual(await instanceOf(), two, 'every client is back where it was');
  });

  it('a reload to a version that never listens rolls back as without sticky: exit 1, 0 failed requests, the old workers keep their clients', async () => {
    const versionFile = join(dir, 'version');
    writeFileSync(versionFile, 'v1');
    const port = await startApp('broken', 2, ['--env', `VERSION_FILE=${versionFile}`, '--listen-timeout', '1500']);
    const before = (await rows('broken')).map((r) => r.pid);
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 100, 'load to flow');
    writeFileSync(versionFile, 'never-listen');
    const r = await t.run(['reload', 'broken']);
    const mid = load.snapshot().ok;
    await waitFor(() => load.snapshot().ok > mid + 100, 'load to flow after the reload');
    const result = await load.stop();
    assert.equal(r.code, 1, `the reload must fail: ${r.stderr}`);
    assert.match(r.stderr, /was not ready within listen_timeout \(1500 ms\): it never listened/);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    assert.deepEqual(
      (await rows('broken')).map((x) => x.pid),
      before,
    );
    for (let k = 0; k < 10; k++) assert.match((await whoAnswers(port, k))?.pid ?? '', new RegExp(`^(${before.join('|')})$`));
  });

  it('two reloads under load (keep-alive and new connections from 20 addresses): 0 failed requests', async () => {
    const port = await startApp('rolling', 2);
    const load = startLoad(port);
    let running = true;
    const fresh = { ok: 0, failed: 0 };
    const freshLoop = (async () => {
      for (let k = 0; running; k = (k + 1) % 20) {
        if ((await getFresh(port, '/', address(k))) === undefined) fresh.failed += 1;
        else fresh.ok += 1;
      }
    })();
    try {
      await waitFor(() => load.snapshot().ok > 100 && fresh.ok > 20, 'load to flow');
      for (let i = 0; i < 2; i++) {
        const r = await t.run(['reload', 'rolling']);
        assert.equal(r.code, 0, r.stderr);
      }
      const mid = fresh.ok;
      await waitFor(() => fresh.ok > mid + 20, 'new connections to flow after the reloads');
    } finally {
      running = false;
    }
    await freshLoop;
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed keep-alive requests: ${JSON.stringify(result.errors)}`);
    assert.equal(fresh.failed, 0, `failed requests on new connections (of ${fresh.ok + fresh.failed})`);
  });
});
