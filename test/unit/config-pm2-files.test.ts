import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { after, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { normalizeApp } from '../../src/config/normalize.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';
import { skipOrFail } from '../helpers/needs.js';

// What PM2 7 accepts and how it reads it (lib/Common.js, lib/API.js, lib/tools/Config.js), one
// rule per test: files PM2 starts must start in tend with the same process, env, cwd and logs.
const project = makeTempProject();
after(() => project.remove());
project.write({
  'server.js': '',
  'worker.py': '',
  'bin/www': '#!/usr/bin/env node\n',
  'svc/index.js': '',
  'prog': '\u007fELF\u0000\u0000',
});

const load = (rel: string, content: string, extra: { envName?: string } = {}) =>
  loadConfigFile(project.write({ [rel]: content }), { cwd: project.dir, env: TEST_ENV, ...extra });

describe('PM2 files tend used to refuse', () => {
  it('reads .json written as a JavaScript object (and .json5), as PM2 does', async () => {
    const text = `// PM2 evaluates .json files\n{\n  apps: [{ name: 'api', script: 'server.js', /* inline */ env: { A: 'x', }, },],\n}\n`;
    for (const rel of ['js-object.json', 'five.json5']) {
      const { apps } = await load(rel, text);
      assert.equal(apps[0]?.name, 'api', rel);
      assert.equal(apps[0]?.env.A, 'x', rel);
    }
  });

  it('evaluates a .json that computes values as an expression, as PM2 does (process.env, join)', async () => {
    const { apps } = await load(
      'computed.json',
      `// TG!\n[{ name: 'c', script: ['ser', 'ver.js'].join(''), env: { T: process.env.NOT_SET_HERE || 'dflt' } }]`,
    );
    assert.equal(apps[0]?.exec.script, project.path('server.js'));
    assert.equal(apps[0]?.env.T, 'dflt');
  });

  it('splits string args the way PM2 does, and ignores a string env_<name>', async () => {
    const { apps, warnings } = await load(
      'args.config.js',
      `module.exports = { apps: [{ name: 'a', script: 'server.js', args: "--name=\\"a b\\" 'x y' z", node_args: '--max-old-space-size=64 --trace-warnings', env_variable: 'TOTO' }] };`,
    );
    assert.deepEqual(apps[0]?.exec.args, ['--name="a b"', 'x y', 'z']);
    assert.deepEqual(apps[0]?.exec.interpreterArgs, ['--max-old-space-size=64', '--trace-warnings']);
    assert.ok(warnings.some((w) => w.includes('`env_variable`')));
  });

  it('takes `cmd` and `command` as the script (`script` wins), and camelCase keys', async () => {
    const { apps, warnings } = await load(
      'alias.config.js',
      `module.exports = { apps: [
      { name: 'a', cmd: 'server.js', maxRestarts: 4, killTimeout: 700, errorFile: 'a.err' },
      { name: 'b', command: 'server.js', minUptime: '2s' },
      { name: 'c', script: 'server.js', cmd: 'nope.js' },
    ] };`,
    );
    assert.deepEqual(warnings, []);
    assert.equal(apps[0]?.exec.script, project.path('server.js'));
    assert.equal(apps[0]?.maxRestarts, 4);
    assert.equal(apps[0]?.killTimeoutMs, 700);
    assert.equal(apps[0]?.log.errFile, project.path('a.err'));
    assert.equal(apps[1]?.minUptimeMs, 2000);
    assert.equal(apps[2]?.exec.script, project.path('server.js'));
  });

  it('warns about unknown keys instead of refusing, as PM2 ignores them', async () => {
    const { apps, warnings } = await load(
      'legacy.config.js',
      `module.exports = { apps: [{ name: 'a', script: 'server.js', max: 3, options: { x: 1 }, max_restart: 2 }] };`,
    );
    assert.equal(apps.length, 1);
    assert.equal(warnings.length, 3);
    assert.match(
      warnings.find((w) => w.includes('`max_restart`')) ?? '',
      /unknown key `max_restart` is ignored \(PM2 ignores it too\); did you mean `max_restarts`\?/,
    );
    assert.ok(warnings.some((w) => w.includes('`options`')));
  });

  it('runs a script with spaces through a shell, as PM2 does (its args are dropped, with a warning)', async () => {
    const { apps, warnings } = await load(
      'spaces.config.js',
      `module.exports = { apps: [
      { name: 'web', script: 'npm run start' },
      { script: 'python3 -m http.server', args: ['8000'] },
    ] };`,
    );
    assert.deepEqual(apps[0]?.exec, { script: 'npm run start', args: [], interpreter: null, interpreterArgs: [], shell: true });
    assert.equal(apps[1]?.name, 'python3 -m http');
    assert.deepEqual(apps[1]?.exec.args, []);
    assert.equal(warnings.filter((w) => w.includes('`args` are ignored')).length, 1);
  });

  it('runs a folder with Node (its index.js or package.json main), and names with spaces', async () => {
    const { apps } = await load('folder.config.js', `module.exports = { apps: [{ name: 'Custom Metrics', script: './svc/' }] };`);
    assert.equal(apps[0]?.name, 'Custom Metrics');
    assert.equal(apps[0]?.exec.interpreter, 'node');
    assert.equal(apps[0]?.exec.script, project.path('svc'));
  });

  it('guesses the interpreter as PM2: node for extension-less text (bin/www), none for a binary', async () => {
    const { apps } = await load(
      'guess.config.js',
      `module.exports = { apps: [{ name: 'www', script: 'bin/www' }, { name: 'bin', script: './prog' }, { name: 'py', script: 'worker.py' }] };`,
    );
    assert.equal(apps[0]?.exec.interpreter, 'node');
    assert.equal(apps[1]?.exec.interpreter, null);
    assert.match(apps[2]?.exec.interpreter ?? '', /^python3?$/);
    assert.equal(apps[2]?.env.PYTHONUNBUFFERED, '1', 'python output is not held back');
  });

  it('runs a PATH command that is a Node script (npm) as node <its path>, as PM2 does', async (t) => {
    const { findExecutable } = await import('../../src/lib/which.js');
    const npm = findExecutable('npm', TEST_ENV.PATH, project.dir);
    if (npm === undefined) return skipOrFail(t, 'npm is not in PATH');
    const { apps } = await load('npm.config.js', `module.exports = { apps: [{ name: 'n', script: 'npm', args: 'start' }] };`);
    assert.equal(apps[0]?.exec.script, npm);
    assert.equal(apps[0]?.exec.interpreter, 'node');
    assert.deepEqual(apps[0]?.exec.args, ['start']);
  });

  it("keeps the user's PYTHONUNBUFFERED", async () => {
    const { apps } = await load(
      'py.config.js',
      `module.exports = { apps: [{ name: 'py', script: 'worker.py', env: { PYTHONUNBUFFERED: '' } }] };`,
    );
    assert.equal(apps[0]?.env.PYTHONUNBUFFERED, '');
  });

  it('turns object values of env into JSON, as PM2 does', async () => {
    const { apps } = await load(
      'objenv.config.js',
      `module.exports = { apps: [{ name: 'a', script: 'server.js', env: { DB: { host: 'x', port: 5 }, LIST: [1, 2] } }] };`,
    );
    assert.equal(apps[0]?.env.DB, '{"host":"x","port":5}');
    assert.equal(apps[0]?.env.LIST, '[1,2]');
  });

  it('layers deploy.<env>.env under env and env_<env>, with --env', async () => {
    const text = `module.exports = {
      apps: [{ name: 'a', script: 'server.js', env: { A: 'env', B: 'env' }, env_production: { B: 'prod' } }],
      deploy: { production: { host: 'h', env: { A: 'deploy', D: 'deploy' } } },
    };`;
    const prod = (await load('deploy.config.js', text, { envName: 'production' })).apps[0];
    assert.deepEqual([prod?.env.A, prod?.env.B, prod?.env.D], ['env', 'prod', 'deploy']);
    const plain = (await load('deploy.config.js', text)).apps[0];
    assert.equal(plain?.env.D, undefined);
  });

  it('fails only the app whose interpreter is missing (node@x without nvm, a missing ruby); the others load', async () => {
    const { apps, failed } = await loadConfigFile(
      project.write({
        'interp.config.js': `module.exports = { apps: [
      { name: 'old', script: 'server.js', interpreter: 'node@6.9.0' },
      { name: 'rb', script: 'server.js', interpreter: 'ruby-that-is-not-installed' },
      { name: 'ok', script: 'server.js' },
    ] };`,
      }),
      { cwd: project.dir, env: { ...TEST_ENV, NVM_DIR: project.path('no-nvm') } },
    );
    assert.deepEqual(
      apps.map((a) => a.name),
      ['ok'],
    );
    assert.deepEqual(
      failed.map((f) => f.name),
      ['old', 'rb'],
    );
    assert.match(failed[0]?.message ?? '', /interpreter `node@6\.9\.0` was not found .*nvm install 6\.9\.0/);
    assert.match(failed[1]?.message ?? '', /interpreter `ruby-that-is-not-installed` was not found in PATH/);
  });

  it("finds node@x in nvm's folder", async () => {
    chmodSync(project.write({ 'nvm/versions/node/v18.1.0/bin/node': '#!/bin/sh\n' }), 0o755);
    const { apps } = await loadConfigFile(
      project.write({ 'nvm.config.js': `module.exports = { apps: [{ name: 'n', script: 'server.js', interpreter: 'node@18.1.0' }] };` }),
      { cwd: project.dir, env: { ...TEST_ENV, NVM_DIR: project.path('nvm') } },
    );
    assert.equal(apps[0]?.exec.interpreter, project.path('nvm', 'versions', 'node', 'v18.1.0', 'bin', 'node'));
  });
});

describe('PM2 stop signal and log paths', () => {
  it('stops apps of PM2 files with SIGINT unless kill_signal says otherwise; tend.config files and Procfiles with SIGTERM', async () => {
    const pm2 = await load(
      'sig.config.js',
      `module.exports = { apps: [{ name: 'a', script: 'server.js' }, { name: 'b', script: 'server.js', kill_signal: 'SIGTERM' }] };`,
    );
    assert.deepEqual(
      pm2.apps.map((a) => a.killSignal),
      ['SIGINT', 'SIGTERM'],
    );
    assert.equal(pm2.apps[0]?.pm2, true);
    const own = await load('own/tend.config.js', `module.exports = { apps: [{ name: 'a', script: '../server.js' }] };`);
    assert.equal(own.apps[0]?.killSignal, 'SIGTERM');
    assert.equal(own.apps[0]?.pm2, undefined);
    const proc = await load('proc/Procfile', 'web: sleep 100\n');
    assert.equal(proc.apps[0]?.killSignal, 'SIGTERM');
  });

  it("`tend start <script>` is PM2's habit (SIGINT); a command after `--` is tend's (SIGTERM)", () => {
    const script = normalizeApp({ script: 'server.js' }, { baseDir: project.dir, env: TEST_ENV, source: 'command line', pm2: true });
    assert.equal(script.spec.killSignal, 'SIGINT');
    const command = normalizeApp(
      { script: 'sleep', args: ['1'], interpreter: 'none' },
      { baseDir: project.dir, env: TEST_ENV, source: 'command line' },
    );
    assert.equal(command.spec.killSignal, 'SIGTERM');
  });

  it('NULL and /dev/null mean no file, ~ is the home, log_date_format turns time on', async () => {
    const { apps } = await load(
      'logs.config.js',
      `module.exports = { apps: [
      { name: 'a', script: 'server.js', out_file: 'NULL', error_file: '/dev/null', log_date_format: 'YYYY-MM-DD' },
      { name: 'b', script: 'server.js', out_file: '~/logs/b.log', error_file: '~/logs/b-err.log' },
    ] };`,
    );
    assert.equal(apps[0]?.log.outFile, '/dev/null');
    assert.equal(apps[0]?.log.errFile, '/dev/null');
    assert.equal(apps[0]?.log.time, true);
    const home = TEST_ENV.HOME ?? homedir();
    assert.equal(apps[1]?.log.outFile, `${home}/logs/b.log`);
    assert.equal(apps[1]?.log.errFile, `${home}/logs/b-err.log`);
  });

  it('merge_logs: as PM2, true unless instances or cluster mode is set; explicit values win', async () => {
    const { apps } = await load(
      'merge.config.js',
      `module.exports = { apps: [
      { name: 'plain', script: 'server.js' },
      { name: 'one', script: 'server.js', instances: 1 },
      { name: 'cl', script: 'server.js', exec_mode: 'cluster' },
      { name: 'merged', script: 'server.js', instances: 1, merge_logs: true },
      { name: 'split', script: 'server.js', combine_logs: false },
      { name: 'maxed', script: 'server.js', instances: 'max' },
    ] };`,
    );
    // `instances: 'max'` counts as 0 in PM2's rule, so its logs have no suffix there either.
    assert.deepEqual(
      apps.map((a) => [a.name, a.log.merge]),
      [
        ['plain', true],
        ['one', false],
        ['cl', false],
        ['merged', true],
        ['split', false],
        ['maxed', true],
      ],
    );
  });

  it('records which variables the user set (describe shows those)', async () => {
    const { apps } = await load(
      'userenv.config.js',
      `module.exports = { apps: [{ name: 'a', script: 'server.js', port: 8080, env: { A: '1' }, env_production: { B: '2' } }] };`,
      { envName: 'production' },
    );
    assert.deepEqual([...(apps[0]?.userEnv ?? [])].sort(), ['A', 'B', 'PORT']);
    assert.equal(apps[0]?.env.INHERITED, 'yes');
  });
});

describe('secret names', () => {
  it('redacts secret-looking names without over-matching words that contain KEY', async () => {
    const { isSecretName } = await import('../../src/protocol/secrets.js');
    for (const n of [
      'API_KEY',
      'apiKey',
      'STRIPE_SECRET_KEY',
      'GITHUB_TOKEN',
      'NPMTOKEN',
      'DB_PASSWORD',
      'SESSION_SECRET',
      'AWS_SECRET_ACCESS_KEY',
      'DATABASE_URL',
      'AUTH',
    ]) {
      assert.equal(isSecretName(n), true, n);
    }
    for (const n of ['KEYBOARD_LAYOUT', 'MONKEY', 'PORT', 'NODE_ENV', 'AUTHOR', 'HOCKEY_TEAM']) assert.equal(isSecretName(n), false, n);
  });
});

describe('one-line errors', () => {
  it('a corrupt dump is described on one line, whatever JSON.parse quotes', async () => {
    const { parseDump } = await import('../../src/store/dump.js');
    assert.throws(
      () => parseDump('{"version": 1,\n oops\n}'),
      (err: Error) => !err.message.includes('\n') && /not valid JSON/.test(err.message),
    );
  });
});
