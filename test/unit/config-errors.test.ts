import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { normalizeApp } from '../../src/config/normalize.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

const project = makeTempProject();
after(() => project.remove());
project.write({ 'server.js': '' });

interface Expect {
  code: string;
  message: RegExp[];
  hint?: RegExp;
}

/** Loads `content` as `name` and checks the error: code, message parts, hint. */
async function expectError(name: string, content: string, expected: Expect, options: { only?: string[] } = {}): Promise<void> {
  const file = project.write({ [name]: content });
  await assert.rejects(
    loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, ...options }),
    (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, expected.code, err.message);
      for (const m of expected.message) assert.match(err.message, m);
      if (expected.hint) assert.match(err.hint ?? '', expected.hint);
      return true;
    },
  );
}

const ecosystem = (app: string) => `module.exports = { apps: [${app}] };`;

describe('validation errors name the file, the app, the field, what was expected and what was given', () => {
  it('unknown key in a tend.config file, with a suggestion (PM2 files get a warning instead)', async () => {
    await expectError('e1/tend.config.js', ecosystem(`{ name: 'api', script: '../server.js', max_restart: 3 }`), {
      code: 'E_CONFIG_INVALID',
      message: [/^e1\/tend\.config\.js, app "api": /, /unknown key `max_restart`; did you mean `max_restarts`\?/],
      hint: /tend help config/,
    });
  });

  it('wrong type', async () => {
    await expectError('e3.config.js', ecosystem(`{ name: 'api', script: 'server.js', max_restarts: 'lots' }`), {
      code: 'E_INVALID_VALUE',
      message: [/^e3\.config\.js, app "api": /, /Expected `max_restarts` to be a non-negative whole number, got `lots` \(string\)/],
    });
    await expectError('e3b.config.js', ecosystem(`{ name: 'api', script: 'server.js', autorestart: 'sometimes' }`), {
      code: 'E_INVALID_VALUE',
      message: [/Expected `autorestart` to be `true` or `false`, got `sometimes`/],
    });
    await expectError('e3c.config.js', ecosystem(`{ name: 'api', script: 'server.js', env: ['A=1'] }`), {
      code: 'E_INVALID_VALUE',
      message: [/Expected `env` to be an object of NAME: value/],
    });
  });

  it('bad duration', async () => {
    await expectError('e4.config.js', ecosystem(`{ name: 'api', script: 'server.js', kill_timeout: '5 minutes' }`), {
      code: 'E_INVALID_VALUE',
      message: [
        /^e4\.config\.js, app "api": Expected `kill_timeout` to be a non-negative duration like `1500`, `1.5s` or `2m`, got `5 minutes` \(string\)/,
      ],
    });
  });

  it('bad size, also on a key that has no effect yet', async () => {
    await expectError('e5.config.js', ecosystem(`{ name: 'api', script: 'server.js', max_memory_restart: 'abc' }`), {
      code: 'E_INVALID_VALUE',
      message: [/^e5\.config\.js, app "api": Expected `max_memory_restart` to be a size like `200M`/, /got `abc` \(string\)/],
    });
    await expectError('e5b.config.js', ecosystem(`{ name: 'api', script: 'server.js', log_max_size: -1 }`), {
      code: 'E_INVALID_VALUE',
      message: [/Expected `log_max_size` to be a size/],
    });
  });

  it('bad signal and bad enum', async () => {
    await expectError('e6.config.js', ecosystem(`{ name: 'api', script: 'server.js', kill_signal: 'SIGNOPE' }`), {
      code: 'E_INVALID_SIGNAL',
      message: [/^e6\.config\.js, app "api": /, /kill_signal/],
    });
    await expectError('e6b.config.js', ecosystem(`{ name: 'api', script: 'server.js', exec_mode: 'swarm' }`), {
      code: 'E_INVALID_VALUE',
      message: [/Expected `exec_mode` to be one of `fork`, `cluster`/],
    });
  });

  it('missing script', async () => {
    await expectError('e7.config.js', ecosystem(`{ name: 'api', args: ['x'] }`), {
      code: 'E_CONFIG_INVALID',
      message: [/^e7\.config\.js, app "api": missing `script`/],
      hint: /Every app needs a `script`/,
    });
  });

  it('script that does not exist (that app fails alone), and duplicate names', async () => {
    const file = project.write({ 'e8.config.js': ecosystem(`{ name: 'api', script: 'nope.js' }, { name: 'ok', script: 'server.js' }`) });
    const loaded = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV });
    assert.deepEqual(
      loaded.apps.map((a) => a.name),
      ['ok'],
    );
    assert.equal(loaded.failed.length, 1);
    assert.equal(loaded.failed[0]?.name, 'api');
    assert.match(loaded.failed[0]?.message ?? '', /^e8\.config\.js, app "api": script not found: .*nope\.js/);
    await expectError('e8b.config.js', ecosystem(`{ name: 'api', script: 'server.js' }, { name: 'api', script: 'server.js' }`), {
      code: 'E_CONFIG_INVALID',
      message: [/the name `api` is already used by apps\[0\]/],
    });
  });

  it('a config file that throws', async () => {
    await expectError('e9.config.js', `throw new Error('no DATABASE_URL');`, {
      code: 'E_CONFIG_INVALID',
      message: [/^e9\.config\.js threw while loading: no DATABASE_URL/],
    });
    await expectError('e9b.config.mjs', `export default Promise.reject(new Error('async boom'));`, {
      code: 'E_CONFIG_INVALID',
      message: [/^e9b\.config\.mjs threw while loading: async boom/],
    });
  });

  it('module.exports in an ES-module package gets a hint to use .cjs', async () => {
    project.write({ 'esm-pkg/package.json': '{"type":"module"}' });
    await expectError('esm-pkg/ecosystem.config.js', ecosystem(`{ script: '../server.js' }`), {
      code: 'E_CONFIG_INVALID',
      message: [/threw while loading: module is not defined/],
      hint: /rename it to ecosystem\.config\.cjs/,
    });
  });

  it('module.exports in a .mjs file, export in a .cjs file: the hint names the file and why', async () => {
    await expectError('api.config.mjs', ecosystem(`{ script: 'server.js' }`), {
      code: 'E_CONFIG_INVALID',
      message: [/threw while loading: module is not defined/],
      hint: /^This file is an ES module \(its name ends in \.mjs\): .*rename it to api\.config\.cjs\.$/,
    });
    await expectError('api.config.cjs', `export default { apps: [{ script: 'server.js' }] };`, {
      code: 'E_CONFIG_INVALID',
      message: [/threw while loading/],
      hint: /^This file uses ES module syntax in a \.cjs file: rename it to api\.config\.mjs,/,
    });
  });

  it('a FIFO or a file too big to be a config is refused before it is read', { timeout: 10_000 }, async () => {
    const fifo = project.path('pipe.config.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(loadConfigFile(fifo, { cwd: project.dir, env: TEST_ENV }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_CONFIG_INVALID');
      assert.match(err.message, /pipe\.config\.json is not a regular file$/);
      return true;
    });
    // Sparse: 11 MB on paper, nothing on disk.
    const big = project.write({ 'data.json': '{"apps": []}' });
    truncateSync(big, 11 * 1024 * 1024);
    await assert.rejects(loadConfigFile(big, { cwd: project.dir, env: TEST_ENV }), (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, 'E_CONFIG_INVALID');
      assert.match(err.message, /data\.json is 11\.0MB, more than a config file's 10\.0MB$/);
      assert.match(err.hint ?? '', /Is it a config file\?/);
      return true;
    });
  });

  it('instances past 1024 (a typo for 4, a huge string) are refused before anything forks', async () => {
    for (const value of ['40000', '"9999999999999999999"', '-5000']) {
      await expectError(
        'many.config.json',
        `{"apps": [{"name": "w", "script": "server.js", "exec_mode": "cluster", "instances": ${value}}]}`,
        {
          code: 'E_INVALID_VALUE',
          message: [/Expected `instances` to be a whole number \(at most 1024\) or `max`/],
        },
      );
    }
  });

  it('a config that exports nothing', async () => {
    await expectError('e10.config.js', `const apps = [];`, { code: 'E_CONFIG_INVALID', message: [/^e10\.config\.js exports nothing/] });
    await expectError('e10b.config.mjs', `const x = 1;`, { code: 'E_CONFIG_INVALID', message: [/exports nothing/] });
    await expectError('e10c.json', `null`, { code: 'E_CONFIG_INVALID', message: [/exports nothing/] });
    await expectError('e10d.yaml', ``, { code: 'E_CONFIG_INVALID', message: [/exports nothing/] });
  });

  it('a config that is not an object, or whose apps are not', async () => {
    await expectError('e11.config.js', `module.exports = 'server.js';`, {
      code: 'E_CONFIG_INVALID',
      message: [/^e11\.config\.js is not an object: it gives the string `server\.js`/],
    });
    await expectError('e11b.config.js', `module.exports = () => ({ apps: [] });`, {
      code: 'E_CONFIG_INVALID',
      message: [/is not an object: it gives a function/],
    });
    await expectError('e11c.json', `{"apps": "server.js"}`, {
      code: 'E_CONFIG_INVALID',
      message: [/has `apps` that is the string `server\.js`, not a list/],
    });
    await expectError('e11d.json', `{"apps": [42]}`, {
      code: 'E_CONFIG_INVALID',
      message: [/has apps\[0\] that is number `42`, not an object/],
    });
    await expectError('e11e.json', `{"apps": []}`, { code: 'E_CONFIG_INVALID', message: [/has an empty `apps` list/] });
    await expectError('e11f.json', `{"services": []}`, {
      code: 'E_CONFIG_INVALID',
      message: [/has no `apps` list \(its keys: `services`\)/],
    });
  });

  it('syntax errors in JSON and YAML', async () => {
    await expectError('e12.json', `{"apps": [}`, { code: 'E_CONFIG_INVALID', message: [/^e12\.json is not valid JSON/] });
    await expectError('e12b.yaml', `apps:\n  - name: a\n   script: b\n`, {
      code: 'E_CONFIG_INVALID',
      message: [/^e12b\.yaml is not valid YAML/],
    });
  });

  it('a missing file, and a file that is not a config', async () => {
    await assert.rejects(loadConfigFile('missing.config.js', { cwd: project.dir, env: TEST_ENV }), /missing\.config\.js does not exist/);
    await assert.rejects(loadConfigFile('server.js', { cwd: project.dir, env: TEST_ENV }), /server\.js is not a config file/);
  });

  it('bad --only', async () => {
    await expectError(
      'only.json',
      JSON.stringify({ apps: [{ name: 'api', script: 'server.js' }] }),
      {
        code: 'E_USAGE',
        message: [/--only: only\.json has no app named `web`; its apps are: api/],
      },
      { only: ['web'] },
    );
  });

  it('keeps "command line" as the source for CLI flags', () => {
    assert.throws(
      () => normalizeApp({ script: 'server.js', restart_delay: 'soon' }, { baseDir: project.dir, env: TEST_ENV, source: 'command line' }),
      /command line: Expected `restart_delay` to be a non-negative duration/,
    );
    assert.throws(
      () => normalizeApp({}, { baseDir: project.dir, env: TEST_ENV, source: 'command line' }),
      (err: Error & { code?: string }) => err.code === 'E_USAGE',
    );
  });
});
