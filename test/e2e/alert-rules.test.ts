import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { ROOT, TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';
import { fileMissing, needs } from '../helpers/needs.js';

const PROMTOOL = '/usr/bin/promtool';
const RULES = join(ROOT, 'examples', 'prometheus', 'tend-alerts.yml');
// Missing promtool fails the suite under CI (scripts/test.sh installs it); elsewhere it skips.
const req = needs(fileMissing(PROMTOOL));

function promtool(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({
        code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1,
        out: stdout + stderr,
      });
    });
  });
}

describe('the shipped Prometheus alerting rules', () => {
  req.it('pass `promtool check rules` and their own `promtool test rules`', async () => {
    const check = await promtool(['check', 'rules', RULES], ROOT);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /SUCCESS: 6 rules found/);
    const test = await promtool(['test', 'rules', join(ROOT, 'test', 'fixtures', 'prometheus', 'tend-alerts.test.yml')], ROOT);
    assert.equal(test.code, 0, test.out);
  });

  describe("against a real daemon's /metrics", () => {
    let t: TendHome;
    let scrape = '';
    req.before(async () => {
      t = new TendHome({ TEND_SAMPLE_IDLE_MS: '300' });
      await t.json(['start', fixture('crash-after.js'), '--name', 'boom', '--max-restarts', '2']);
      await t.json(['start', fixture('forever.js'), '--name', 'calm', '--max-memory-restart', '1G']);
      await waitFor(async () => (await t.app('boom')).status === 'errored', 'boom to be errored', 30_000);
      const web = JSON.parse((await t.run(['web', '--port', String(await freePort()), '--json'])).stdout) as {
        port: number;
        token: string;
      };
      scrape = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${web.port}/metrics`, { headers: { authorization: `Bearer ${web.token}` } });
          const text = await res.text();
          return /^tend_app_memory_bytes\{app="calm"/m.test(text) ? text : undefined;
        },
        "a scrape with calm's memory",
        20_000,
        100,
      );
    });
    req.after(async () => {
      await t.cleanup();
    });

    req.it('exports what the rules read: the memory limit, the problem count and the disk state', async () => {
      assert.match(scrape, /^tend_app_memory_limit_bytes\{app="calm",id="\d+",namespace="default"\} 1073741824$/m);
      assert.doesNotMatch(scrape, /^tend_app_memory_limit_bytes\{app="boom"/m, 'an app without a limit has no limit series');
      assert.match(scrape, /^tend_daemon_disk_failing 0$/m);
      assert.match(scrape, /^tend_daemon_problems 0$/m);
      const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: scrape, encoding: 'utf8', timeout: 30_000 });
      assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    });

    req.it('fire on the scraped series: boom is errored, calm is quiet', async () => {
      // The scraped samples, held constant for 10 minutes, as promtool's input series.
      const series = scrape
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => {
          const at = l.lastIndexOf(' ');
          const name = l.slice(0, at);
          const labelled = name.includes('{')
            ? name.replace('{', '{job="tend",instance="host:9615",')
            : `${name}{job="tend",instance="host:9615"}`;
          return `      - series: '${labelled}'\n        values: '${l.slice(at + 1)}x10'`;
        });
      const boomId = (await t.app('boom')).id;
      writeFileSync(
        join(t.home, 'real.test.yml'),
        [
          `rule_files: [${JSON.stringify(RULES)}]`,
          'evaluation_interval: 1m',
          'tests:',
          '  - interval: 1m',
          '    input_series:',
          ...series,
          '    alert_rule_test:',
          '      - eval_time: 5m',
          '        alertname: TendAppErrored',
          '        exp_alerts:',
          `          - exp_labels: { severity: critical, job: tend, instance: 'host:9615', app: boom, id: '${boomId}', namespace: default, status: errored }`,
          '            exp_annotations:',
          "              summary: 'tend app boom is errored on host:9615'",
          `              description: 'tend stopped restarting boom (id ${boomId}); see \`tend describe boom\` and \`tend logs boom\`.'`,
          ...['TendAppMemoryNearLimit', 'TendDaemonDiskFailing', 'TendAppRestartStorm'].flatMap((a) => [
            '      - eval_time: 5m',
            `        alertname: ${a}`,
            '        exp_alerts: []',
          ]),
          '',
        ].join('\n'),
      );
      const r = await promtool(['test', 'rules', 'real.test.yml'], t.home);
      assert.equal(r.code, 0, r.out);
    });
  });
});
