import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { APP_FIELDS, fieldStatus, findField } from '../../src/config/schema.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

/** Every app key of PM2's lib/API/schema.json (PM2 5.x), with its aliases. */
const PM2_KEYS = [
  'script',
  'exec',
  'name',
  'name_prefix',
  'filter_env',
  'namespace',
  'install_url',
  'cwd',
  'args',
  'exec_interpreter',
  'interpreter',
  'node_args',
  'interpreterArgs',
  'interpreter_args',
  'out_file',
  'out',
  'output',
  'out_log',
  'error_file',
  'error',
  'err',
  'err_file',
  'err_log',
  'log_file',
  'log',
  'disable_logs',
  'log_type',
  'log_date_format',
  'time',
  'env',
  'env_production',
  'max_memory_restart',
  'pid_file',
  'pid',
  'restart_delay',
  'exp_backoff_restart_delay',
  'source_map_support',
  'disable_source_map_support',
  'wait_ready',
  'instances',
  'kill_timeout',
  'shutdown_with_message',
  'listen_timeout',
  'cron_restart',
  'cron',
  'merge_logs',
  'combine_logs',
  'vizion',
  'autostart',
  'autorestart',
  'stop_exit_codes',
  'watch_delay',
  'watch',
  'ignore_watch',
  'watch_options',
  'min_uptime',
  'max_restarts',
  'execute_command',
  'exec_mode',
  'force',
  'append_env_to_name',
  'post_update',
  'trace',
  'disable_trace',
  'v8',
  'event_loop_inspector',
  'deep_monitoring',
  'increment_var',
  'instance_var',
  'pmx',
  'automation',
  'treekill',
  'port',
  'username',
  'uid',
  'user',
  'gid',
  'windowsHide',
  'kill_retry_time',
  'write',
  'io',
];

describe('PM2 compatibility: the schema', () => {
  it('gives every PM2 key a documented meaning', () => {
    for (const key of PM2_KEYS) {
      const field = findField(key);
      assert.ok(field, `PM2 key \`${key}\` is not in APP_FIELDS`);
      assert.ok(field.description.length > 0, key);
      const status = fieldStatus(field);
      if (status === 'ignored') assert.ok((field.ignored ?? '').length > 10, `${key} needs a reason`);
      if (status === 'not-yet') assert.ok((field.unsupported ?? '').length > 5, `${key} needs a reason`);
    }
  });

  it('has no duplicate key or alias', () => {
    const names = APP_FIELDS.flatMap((f) => [f.key, ...(f.aliases ?? [])]);
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
    );
  });
});

describe('PM2 compatibility: an ecosystem file using every key, unchanged', () => {
  const project = makeTempProject('pm2');
  after(() => project.remove());
  const load = (envName?: string) => loadConfigFile(project.path('ecosystem.config.js'), { cwd: project.dir, env: TEST_ENV, envName });

  it('maps every supported key onto the AppSpec', async () => {
    const { apps } = await load('production');
    const api = apps.find((a) => a.name === 'api');
    assert.ok(api);
    assert.equal(api.namespace, 'shop');
    assert.equal(api.cwd, project.dir);
    assert.deepEqual(api.exec, {
      script: project.path('api', 'server.js'),
      args: ['--port', '3000', '--verbose'],
      interpreter: 'node',
      interpreterArgs: ['--max-old-space-size=256'],
      shell: false,
    });
    assert.equal(api.env.NODE_ENV, 'production');
    assert.equal(api.env.API_TOKEN, 'dev-token');
    assert.equal(api.env.INHERITED, 'yes');
    assert.equal(api.autorestart, true);
    assert.equal(api.maxRestarts, 10);
    assert.equal(api.minUptimeMs, 5000);
    assert.equal(api.restartDelayMs, 250);
    assert.equal(api.expBackoffRestartDelayMs, 100);
    assert.deepEqual(api.stopExitCodes, [0]);
    assert.equal(api.killTimeoutMs, 3000);
    assert.equal(api.waitReady, true);
    assert.equal(api.listenTimeoutMs, 8000);
    assert.equal(api.maxMemoryRestartBytes, 300 * 1024 * 1024);
    assert.equal(api.cronRestart, '0 3 * * *');
    assert.equal(api.log.outFile, project.path('logs', 'api-out.log'));
    assert.equal(api.log.errFile, project.path('logs', 'api-err.log'));
    assert.equal(api.log.combinedFile, project.path('logs', 'api-combined.log'));
    assert.equal(api.log.merge, true);
    assert.equal(api.log.dateFormat, 'YYYY-MM-DD HH:mm Z');
    assert.equal(api.log.time, true);
    assert.equal(api.instances, 4);
    assert.equal(api.execMode, 'cluster');
    const ticker = apps.find((a) => a.name === 'ticker');
    assert.equal(ticker?.instanceVar, 'INSTANCE_ID');
    assert.equal(apps.find((a) => a.name === 'worker')?.execMode, 'fork');
  });

  it('resolves script from a relative cwd, and keeps interpreter and direct commands', async () => {
    const { apps } = await load('production');
    const worker = apps.find((a) => a.name === 'worker');
    assert.equal(worker?.cwd, project.path('worker'));
    assert.equal(worker?.exec.script, project.path('worker', 'run.sh'));
    assert.equal(worker?.exec.interpreter, 'sh');
    assert.deepEqual(worker?.exec.interpreterArgs, ['-e']);
    assert.equal(worker?.autorestart, false);
    assert.equal(worker?.env.WORKER_QUEUE, 'prod');
    const api = apps.find((a) => a.name === 'api');
    assert.deepEqual(api?.watch?.paths, [`${api?.cwd}/api`]);
    assert.deepEqual(api?.watch?.ignore, ['node_modules', 'logs']);
    const ticker = apps.find((a) => a.name === 'ticker');
    assert.deepEqual(ticker?.exec, { script: 'sleep', args: ['1000'], interpreter: null, interpreterArgs: [], shell: false });
    assert.equal(ticker?.minUptimeMs, 2000);
    assert.equal(ticker?.killTimeoutMs, 10_000);
  });

  it('warns about each key without effect, naming the app, and stays quiet for what tend does anyway', async () => {
    const { warnings } = await load('production');
    const about = (app: string, key: string) => warnings.filter((w) => w.includes(`app "${app}"`) && w.includes(`\`${key}\``));
    for (const key of [] as string[]) {
      assert.equal(about('api', key).length, 1, `one warning for api.${key}`);
      assert.match(about('api', key)[0] ?? '', /has no effect yet/);
    }
    for (const key of ['pmx', 'treekill', 'source_map_support', 'post_update']) {
      assert.equal(about('ticker', key).length, 1, `one warning for ticker.${key}`);
      assert.match(about('ticker', key)[0] ?? '', /is ignored: /);
    }
    // Cluster keys are supported: no warning.
    for (const key of ['instances', 'exec_mode']) assert.equal(about('api', key).length, 0, `api.${key}`);
    assert.equal(about('ticker', 'instance_var').length, 0);
    // exec_mode: 'fork', instances: 1 and vizion: false ask for what tend does: no noise.
    assert.deepEqual(
      warnings.filter((w) => w.includes('app "worker"')),
      [],
    );
    assert.equal(about('ticker', 'vizion').length, 0);
    // The deploy section is PM2's (`pm2 deploy`); only its `<env>.env` blocks matter, silently.
    assert.equal(warnings.filter((w) => w.includes('deploy')).length, 0);
    assert.equal(warnings.length, 4);
  });

  it('without --env, uses env only', async () => {
    const { apps } = await load();
    assert.equal(apps.find((a) => a.name === 'api')?.env.NODE_ENV, 'development');
    assert.equal(apps.find((a) => a.name === 'worker')?.env.WORKER_QUEUE, undefined);
  });
});
