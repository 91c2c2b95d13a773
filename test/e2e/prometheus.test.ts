import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';
import { fileMissing, needs } from '../helpers/needs.js';

const PROMETHEUS = '/usr/bin/prometheus';
const req = needs(fileMissing(PROMETHEUS));

/** A real Prometheus server (Debian's package), offline, scraping `tend web`'s /metrics with the token. */
describe('a real Prometheus scrapes /metrics', () => {
  let t: TendHome;
  let prom: ChildProcess | null = null;
  let promPort = 0;
  req.before(async () => {
    t = new TendHome({ TEND_SAMPLE_IDLE_MS: '500' });
    await t.json(['start', fixture('fork-grandchild.js'), '--name', 'worker']);
    const web = JSON.parse((await t.run(['web', '--port', String(await freePort()), '--json'])).stdout) as { port: number; token: string };
    assert.ok(web.token.length > 0);
    writeFileSync(
      join(t.home, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: tend',
        // The token file itself, as the README shows (Prometheus trims its newline).
        `    authorization: { credentials_file: ${join(t.home, 'web.token')} }`,
        `    static_configs: [{ targets: ['127.0.0.1:${web.port}'] }]`,
        '',
      ].join('\n'),
    );
    promPort = await freePort();
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(t.home, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(t.home, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { cwd: t.home, stdio: 'ignore' },
    );
    if (prom.pid !== undefined) t.track(prom.pid);
  });
  req.after(async () => {
    if (prom?.pid !== undefined && prom.exitCode === null) {
      const gone = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      await gone;
    }
    await t.cleanup();
  });

  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return body.status === 'success' ? body.data.result : [];
  };

  req.it("the target is up and the app's series are stored", async () => {
    const up = await waitFor(
      async () => (await query('up{job="tend"}')).find((r) => r.value[1] === '1'),
      'the tend target to be up',
      40_000,
      250,
    );
    assert.equal(up.metric.instance?.startsWith('127.0.0.1:'), true);
    const mem = await waitFor(async () => (await query('tend_app_memory_bytes{app="worker"}'))[0], 'worker memory series', 20_000, 250);
    assert.ok(Number(mem.value[1]) > 10 * 1024 * 1024, 'a tree of four node processes uses more than 10 MB');
    const procs = await waitFor(async () => (await query('tend_app_processes{app="worker"}'))[0], 'the process count', 20_000, 250);
    assert.equal(procs.value[1], '4');
  });
});
