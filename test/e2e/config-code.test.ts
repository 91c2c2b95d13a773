import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';
import { TendHome, isAlive, waitFor } from '../helpers/tend.js';

// A config file is code: it may loop, never settle, or leave timers behind. None of it may hang
// the CLI; each gets a one-line error with exit code 2.
describe('JS config files are evaluated in a child with a time limit', () => {
  const project = makeTempProject();
  let t: TendHome;
  before(() => {
    t = new TendHome({ TEND_CONFIG_TIMEOUT: '1500ms' });
    project.write({
      'app.js': 'setInterval(() => {}, 1000);\n',
      'loop.config.js': 'while (true) {}\n',
      'never.config.mjs': 'export default new Promise(() => {});\n',
      'never-cjs.config.js': 'module.exports = new Promise(() => {});\n',
      'exits.config.js': 'process.exit(0);\n',
      'missing-module.config.js': "require('./not-here');\nmodule.exports = {};\n",
      'chatty.config.js': [
        'setInterval(() => {}, 1000);',
        "const net = require('node:net'); net.createServer().listen(0, '127.0.0.1');",
        "console.log('chatty config says hello');",
        "module.exports = { apps: [{ name: 'chatty', script: 'app.js' }] };",
      ].join('\n'),
      'slow.config.js': "module.exports = new Promise((r) => setTimeout(() => r({ apps: [{ name: 'slow', script: 'app.js' }] }), 300));\n",
      'pid.config.js': "require('node:fs').writeFileSync(__dirname + '/config.pid', String(process.pid));\nwhile (true) {}\n",
      'bigint.config.js': "module.exports = { apps: [{ name: 'b', script: 'app.js', max_restarts: 10n }] };\n",
      'circular.config.js': "const app = { name: 'c', script: 'app.js' };\napp.self = app;\nmodule.exports = { apps: [app] };\n",
    });
  });
  after(async () => {
    await t.cleanup();
    project.remove();
  });

  const start = (file: string, env?: NodeJS.ProcessEnv) =>
    t.run(['start', file], { cwd: project.dir, ...(env === undefined ? {} : { env: { ...t.env, ...env } }) });
  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it('an endless loop is stopped at the time limit, with a one-line error naming the setting', async () => {
    const r = await start('loop.config.js');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(oneLine(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /loop\.config\.js did not finish loading within 1500ms/);
    assert.match(r.stderr, /TEND_CONFIG_TIMEOUT/);
  });

  it('the looping child is killed, not left burning a core', async () => {
    const r = await start('pid.config.js');
    assert.equal(r.code, 2, r.stderr);
    const pid = Number(readFileSync(project.path('config.pid'), 'utf8'));
    assert.ok(pid > 0);
    await waitFor(() => !isAlive(pid), 'the config child to be gone');
  });

  it('a never-settling export is refused (ESM and CommonJS), not taken as "no apps"', async () => {
    for (const file of ['never.config.mjs', 'never-cjs.config.js']) {
      const r = await start(file);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, /exports a promise that never settles/, file);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
    }
  });

  it('a config that exits or throws says so on one line (no "Require stack")', async () => {
    const exits = await start('exits.config.js');
    assert.equal(exits.code, 2);
    assert.match(exits.stderr, /exited with code 0 while loading/);
    const missing = await start('missing-module.config.js');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /threw while loading: Cannot find module '\.\/not-here'/);
    assert.doesNotMatch(missing.stderr, /Require stack/);
    assert.equal(oneLine(missing.stderr).length, 1, missing.stderr);
  });

  it('timers and servers a config leaves behind do not keep the CLI waiting; its output goes to stderr', async () => {
    const r = await start('chatty.config.js');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /chatty config says hello/);
    assert.doesNotMatch(r.stdout, /chatty config says hello/);
    assert.equal((await t.app('chatty')).status, 'online');
  });

  it('a promise that settles in time is awaited', async () => {
    const r = await start('slow.config.js');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await t.app('slow')).status, 'online');
  });

  it('a value that is not plain data is refused by name', async () => {
    const r = await start('bigint.config.js');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exports a value that is not plain data: .*BigInt/);
  });

  it('a value that refers to itself is refused in one line', async () => {
    const r = await start('circular.config.js');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exports a value that is not plain data: Converting circular structure to JSON/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('TEND_CONFIG_TIMEOUT must be a positive duration', async () => {
    const r = await start('slow.config.js', { TEND_CONFIG_TIMEOUT: 'soon' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Expected TEND_CONFIG_TIMEOUT to be a positive duration/);
  });

  it('loadConfigFile gives the same errors in-process (the loop is cut at the limit)', async () => {
    process.env.TEND_CONFIG_TIMEOUT = '1s';
    try {
      await assert.rejects(
        loadConfigFile(project.path('loop.config.js'), { cwd: project.dir, env: TEST_ENV }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'E_CONFIG_INVALID');
          assert.match(err.message, /did not finish loading within 1s/);
          return true;
        },
      );
    } finally {
      delete process.env.TEND_CONFIG_TIMEOUT;
    }
  });
});
