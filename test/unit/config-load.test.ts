import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { findDefaultConfig, isConfigFile, loadConfigFile } from '../../src/config/load.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

const project = makeTempProject();
after(() => project.remove());
project.write({ 'server.js': '', 'lib/worker.js': '', 'ecosystem.config.cjs': '' });

const load = (file: string, extra: { envName?: string; only?: string[]; cwd?: string } = {}) =>
  loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, ...extra });

describe('loadConfigFile formats', () => {
  const apps = `[{ name: 'api', script: 'server.js' }, { name: 'worker', script: 'lib/worker.js' }]`;
  const cases: Record<string, string> = {
    'cjs/ecosystem.config.cjs': `module.exports = { apps: ${apps} };`,
    'cjs-js/ecosystem.config.js': `module.exports = { apps: ${apps} };`,
    'esm/ecosystem.config.mjs': `export default { apps: ${apps} };`,
    'esm-js/ecosystem.config.js': `export default { apps: ${apps} };`,
    'json/ecosystem.config.json': JSON.stringify({
      apps: [
        { name: 'api', script: 'server.js' },
        { name: 'worker', script: 'lib/worker.js' },
      ],
    }),
    'yaml/ecosystem.config.yaml': 'apps:\n  - name: api\n    script: server.js\n  - name: worker\n    script: lib/worker.js\n',
    'yml/ecosystem.config.yml': 'apps:\n  - name: api\n    script: server.js\n  - name: worker\n    script: lib/worker.js\n',
    'tend-js/tend.config.js': `module.exports = { apps: ${apps} };`,
    'tend-mjs/tend.config.mjs': `export default { apps: ${apps} };`,
    'tend-json/tend.config.json': JSON.stringify({
      apps: [
        { name: 'api', script: 'server.js' },
        { name: 'worker', script: 'lib/worker.js' },
      ],
    }),
    'tend-yaml/tend.config.yaml': 'apps:\n  - {name: api, script: server.js}\n  - {name: worker, script: lib/worker.js}\n',
  };
  for (const [rel, content] of Object.entries(cases)) {
    it(`loads ${rel}`, async () => {
      const folder = rel.split('/')[0] as string;
      const files: Record<string, string> = { [rel]: content, [`${folder}/server.js`]: '', [`${folder}/lib/worker.js`]: '' };
      // `.js` is CommonJS or ESM depending on the nearest package.json, as in Node.
      if (folder === 'esm-js') files[`${folder}/package.json`] = '{"type":"module"}';
      if (folder === 'cjs-js' || folder === 'tend-js') files[`${folder}/package.json`] = '{"type":"commonjs"}';
      const file = project.write(files);
      // Run from the file's folder, as PM2 users do (PM2 resolves paths from where it runs).
      const result = await load(file, { cwd: project.path(folder) });
      assert.equal(result.file, file);
      assert.deepEqual(
        result.apps.map((a) => a.name),
        ['api', 'worker'],
      );
      assert.equal(result.apps[0]?.exec.script, project.path(folder, 'server.js'));
      assert.equal(result.apps[1]?.exec.script, project.path(folder, 'lib', 'worker.js'));
      assert.equal(result.apps[0]?.cwd, project.path(folder));
      assert.deepEqual(result.warnings, []);
    });
  }

  it('accepts a single app object, a bare list, `apps: {…}`, named ESM exports and a promise', async () => {
    const shapes: Record<string, string> = {
      's1/ecosystem.config.cjs': `module.exports = { script: 'server.js', name: 'solo' };`,
      's2/ecosystem.config.cjs': `module.exports = [{ script: 'server.js', name: 'solo' }];`,
      's3/ecosystem.config.json': '{"apps": {"script": "server.js", "name": "solo"}}',
      's4/ecosystem.config.mjs': `export const apps = [{ script: 'server.js', name: 'solo' }];`,
      's5/ecosystem.config.mjs': `export default Promise.resolve({ apps: [{ script: 'server.js', name: 'solo' }] });`,
      's6/ecosystem.config.json': '[{"script": "server.js", "name": "solo"}]',
    };
    for (const [rel, content] of Object.entries(shapes)) {
      const file = project.write({ [rel]: content, [`${rel.split('/')[0]}/server.js`]: '' });
      const result = await load(file);
      assert.deepEqual(
        result.apps.map((a) => a.name),
        ['solo'],
        rel,
      );
    }
  });

  it("resolves a relative config path from options.cwd, and cwd/script from the file's folder when they are not where tend runs", async () => {
    project.write({
      'nested/deploy/ecosystem.config.json': JSON.stringify({
        apps: [{ name: 'a', cwd: '../app', script: 'main.js', out_file: 'out.log' }],
      }),
      'nested/app/main.js': '',
    });
    const result = await load('nested/deploy/ecosystem.config.json');
    const app = result.apps[0];
    assert.equal(app?.cwd, project.path('nested', 'app'));
    assert.equal(app?.exec.script, project.path('nested', 'app', 'main.js'));
    assert.equal(app?.log.outFile, project.path('nested', 'app', 'out.log'));
  });

  it('resolves script and cwd from where tend runs first, as PM2 does', async () => {
    project.write({
      'pm2cwd/config/ecosystem.config.js': `module.exports = { apps: [{ name: 'a', script: './app.js' }, { name: 'b', cwd: 'srv', script: 'main.js' }] };`,
      'pm2cwd/app.js': '',
      'pm2cwd/srv/main.js': '',
    });
    const result = await load('config/ecosystem.config.js', { cwd: project.path('pm2cwd') });
    assert.equal(result.apps[0]?.exec.script, project.path('pm2cwd', 'app.js'));
    assert.equal(result.apps[0]?.cwd, project.path('pm2cwd'));
    assert.equal(result.apps[1]?.cwd, project.path('pm2cwd', 'srv'));
    assert.equal(result.apps[1]?.exec.script, project.path('pm2cwd', 'srv', 'main.js'));
  });

  it('re-reads a JS config after it changed (no module cache)', async () => {
    for (const ext of ['cjs', 'mjs']) {
      const file = project.path(`reload/ecosystem.config.${ext}`);
      const body = (name: string) =>
        ext === 'cjs'
          ? `module.exports = { apps: [{ name: '${name}', script: '../server.js' }] };`
          : `export default { apps: [{ name: '${name}', script: '../server.js' }] };`;
      project.write({ [`reload/ecosystem.config.${ext}`]: body('first') });
      assert.equal((await load(file)).apps[0]?.name, 'first');
      project.write({ [`reload/ecosystem.config.${ext}`]: body('second') });
      assert.equal((await load(file)).apps[0]?.name, 'second');
    }
  });

  it('names apps without a name after their script', async () => {
    const file = project.write({ 'noname/ecosystem.config.json': '{"apps":[{"script":"../server.js"}]}' });
    assert.equal((await load(file)).apps[0]?.name, 'server');
  });
});

describe('--env', () => {
  const file = project.write({
    'envs/ecosystem.config.cjs': `module.exports = { apps: [
      { name: 'api', script: '../server.js', env: { A: 'base', B: 'base' }, env_production: { B: 'prod', C: 'prod' }, env_staging: { B: 'staging' } },
      { name: 'plain', script: '../server.js', env: { A: 'plain' } },
    ] };`,
  });

  it('layers env_<name> over env, over the inherited environment', async () => {
    const { apps, warnings } = await load(file, { envName: 'production' });
    assert.deepEqual(warnings, []);
    const env = apps[0]?.env ?? {};
    assert.equal(env.A, 'base');
    assert.equal(env.B, 'prod');
    assert.equal(env.C, 'prod');
    assert.equal(env.INHERITED, 'yes');
    assert.equal(apps[1]?.env.A, 'plain', 'an app without the block keeps its env');
  });

  it('uses only env without --env, and other blocks never leak', async () => {
    const { apps } = await load(file);
    assert.equal(apps[0]?.env.B, 'base');
    assert.equal(apps[0]?.env.C, undefined);
  });

  it('warns when no app has the named block', async () => {
    const { warnings } = await load(file, { envName: 'prod' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /no app has an `env_prod` block/);
  });
});

describe('--only', () => {
  const file = project.write({
    'only/ecosystem.config.json': JSON.stringify({
      apps: [
        { name: 'api', script: '../server.js' },
        { name: 'worker', script: '../server.js' },
        // Not picked, so never validated: a broken app elsewhere in the file does not block --only.
        { name: 'broken', script: 'missing.js' },
      ],
    }),
  });

  it('picks the named apps, in file order', async () => {
    const { apps } = await load(file, { only: ['worker', 'api'] });
    assert.deepEqual(
      apps.map((a) => a.name),
      ['api', 'worker'],
    );
  });

  it('fails on a name the file does not have, listing the names it has', async () => {
    await assert.rejects(load(file, { only: ['api', 'wrker'] }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_USAGE');
      assert.match(err.message, /no app named `wrker`/);
      assert.match(err.message, /its apps are: api, worker, broken/);
      return true;
    });
  });
});

describe('isConfigFile / findDefaultConfig', () => {
  it('tells config files from scripts', () => {
    for (const f of [
      'ecosystem.config.js',
      'ecosystem.config.cjs',
      'ecosystem.config.mjs',
      'ecosystem.config.json',
      'ecosystem.config.yaml',
      'x/ecosystem.config.yml',
      'tend.config.js',
      'processes.json',
      'apps.yaml',
      'Procfile',
      'deploy/Procfile.dev',
    ]) {
      assert.equal(isConfigFile(f), true, f);
    }
    for (const f of ['server.js', 'app.mjs', 'main.py', 'config.js', 'bin/start', 'Procfiles', 'myProcfile']) {
      assert.equal(isConfigFile(f), false, f);
    }
  });

  it('finds the ecosystem file of a folder', () => {
    assert.equal(findDefaultConfig(project.dir), project.path('ecosystem.config.cjs'));
    assert.equal(findDefaultConfig(project.path('lib')), undefined);
  });
});
