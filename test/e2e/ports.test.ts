import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';

interface PortRow {
  app: string;
  id: number;
  pid: number;
  proto: string;
  address: string;
  port: number;
}

describe('listening ports over whole process trees', () => {
  let t: TendHome;
  let tcp = 0;
  let tcp6 = 0;
  let udp = 0;
  let web = 0;
  before(async () => {
    t = new TendHome({ TEND_SAMPLE_IDLE_MS: '400' });
    [tcp, tcp6, udp, web] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await t.json([
      'start',
      fixture('listen-tree.js'),
      '--name',
      'tree',
      '--env',
      `TCP_PORT=${tcp}`,
      '--env',
      `TCP6_PORT=${tcp6}`,
      '--env',
      `UDP_PORT=${udp}`,
    ]);
    await t.json(['start', fixture('cluster-server.js'), '--name', 'web', '-i', '2', '--env', `PORT=${web}`]);
    await t.json(['start', fixture('forever.js'), '--name', 'quiet']);
  });
  after(async () => {
    await t.cleanup();
  });

  const portsOf = async (): Promise<PortRow[]> => JSON.parse((await t.run(['ports', '--json'])).stdout) as PortRow[];

  it("`tend ports` finds a child's TCP/TCP6 ports, the main process's UDP port and a cluster app's port", async () => {
    const rows = await waitFor(
      async () => {
        const r = await portsOf();
        return r.some((p) => p.app === 'tree' && p.port === tcp6) && r.some((p) => p.app === 'web') ? r : undefined;
      },
      'the ports of tree and web',
      30_000,
      200,
    );
    const tree = rows
      .filter((r) => r.app === 'tree')
      .map((r) => `${r.proto} ${r.address} ${r.port}`)
      .sort();
    assert.deepEqual(tree, [`tcp 127.0.0.1 ${tcp}`, `tcp ::1 ${tcp6}`, `udp 127.0.0.1 ${udp}`].sort());
    assert.deepEqual(
      rows.filter((r) => r.app === 'web').map((r) => `${r.proto} ${r.address} ${r.port}`),
      [`tcp 127.0.0.1 ${web}`],
      'one row for the app, not one per worker',
    );
    assert.equal(
      rows.some((r) => r.app === 'quiet'),
      false,
    );
    const human = (await t.run(['ports'])).stdout;
    assert.match(human, /^app\s+id\s+pid\s+proto\s+address\s+port$/m);
    assert.match(human, new RegExp(`^tree\\s+\\d+\\s+\\d+\\s+udp\\s+127\\.0\\.0\\.1\\s+${udp}$`, 'm'));
  });

  it('list has a ports column, describe a listening line', async () => {
    const list = (await t.run(['list'])).stdout;
    assert.match(list.split('\n')[0] ?? '', /\bports$/);
    const treeLine = list.split('\n').find((l) => /\btree\b/.test(l)) ?? '';
    // The column: every address but * is named; UDP marked.
    for (const w of [`127.0.0.1:${tcp}`, `[::1]:${tcp6}`, `127.0.0.1:${udp}/udp`]) assert.ok(treeLine.includes(w), `${w} in ${treeLine}`);
    const quietLine = list.split('\n').find((l) => /\bquiet\b/.test(l)) ?? '';
    assert.match(quietLine, /\s-$/);
    const d = (await t.run(['describe', 'tree'])).stdout;
    const listening = /^listening\s+(.*)$/m.exec(d)?.[1] ?? '';
    assert.deepEqual(listening.split(', ').sort(), [`tcp 127.0.0.1:${tcp}`, `udp 127.0.0.1:${udp}`, `tcp [::1]:${tcp6}`].sort());
    // A run's first scan comes with the next sample after it started.
    await waitFor(
      async () => /listening\s+no port/.test((await t.run(['describe', 'quiet'])).stdout),
      'quiet to be scanned: no port',
      20_000,
      200,
    );
  });

  it('the API and /metrics show them; a stopped app has none', async () => {
    const w = JSON.parse((await t.run(['web', '--port', String(await freePort()), '--json'])).stdout) as { port: number; token: string };
    const headers = { authorization: `Bearer ${w.token}` };
    const api = (await (await fetch(`http://127.0.0.1:${w.port}/api/processes/tree`, { headers })).json()) as {
      process: { ports: Array<{ port: number }> };
    };
    assert.deepEqual(api.process.ports.map((p) => p.port).sort(), [tcp, tcp6, udp].sort());
    const metrics = await (await fetch(`http://127.0.0.1:${w.port}/metrics`, { headers })).text();
    assert.match(
      metrics,
      new RegExp(
        `^tend_app_listening_port\\{app="tree",id="\\d+",namespace="default",proto="udp",address="127\\.0\\.0\\.1",port="${udp}"\\} 1$`,
        'm',
      ),
    );
    assert.equal((await t.run(['stop', 'tree'])).code, 0);
    assert.equal(
      (await portsOf()).some((r) => r.app === 'tree'),
      false,
    );
    const after = await (await fetch(`http://127.0.0.1:${w.port}/metrics`, { headers })).text();
    assert.doesNotMatch(after, /tend_app_listening_port\{app="tree"/);
  });

  it('a stopped instance of a cluster app has no ports (nor health) in list, list --json and status.json', async () => {
    type Row = { id: number; name: string; instance?: number; status: string; ports?: unknown[]; health?: unknown };
    const webRows = async (): Promise<Row[]> => ((await t.list()) as Row[]).filter((r) => r.name === 'web');
    const [first, second] = await waitFor(
      async () => {
        const rows = await webRows();
        return rows.length === 2 && rows.every((r) => (r.ports?.length ?? 0) > 0) ? rows : undefined;
      },
      'both instances of web scanned',
      20_000,
      200,
    );
    assert.ok(first !== undefined && second !== undefined);
    assert.equal((await t.run(['stop', String(second.id)])).code, 0);
    const rows = await webRows();
    const stopped = rows.find((r) => r.id === second.id);
    assert.equal(stopped?.status, 'stopped');
    assert.equal(stopped?.ports, undefined, 'a stopped instance listens on nothing');
    assert.notEqual(stopped?.health, 'healthy');
    assert.deepEqual(rows.find((r) => r.id === first.id)?.ports?.length, 1, 'the running instance keeps its port');
    const line = (await t.run(['list'])).stdout.split('\n').find((l) => new RegExp(`^${second.id}\\s+web\\b`).test(l)) ?? '';
    assert.match(line, /\sstopped\s/);
    assert.ok(!line.includes(`:${web}`), `no port on the stopped row: ${line}`);
    const status = JSON.parse(readFileSync(join(t.home, 'status.json'), 'utf8')) as { apps: Row[] };
    assert.equal(status.apps.find((r) => r.id === second.id)?.ports, undefined, 'status.json (the fast path of list)');
  });
});
