import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseDotenv } from '../../src/config/dotenv.js';
import { loadConfigFile } from '../../src/config/load.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

describe('parseDotenv', () => {
  it('reads KEY=VALUE, export, comments, quotes and escapes', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'SPACED = padded value  ',
      'export EXPORTED=yes',
      'INLINE=kept # dropped',
      'HASH=a#b',
      'EMPTY=',
      "SINGLE='literal \\n $HOME # not a comment'",
      'DOUBLE="line1\\nline2\\t\\"q\\" \\\\ end"',
      'BACKTICK=`it\'s "fine"`',
      'MULTI="first',
      'second"',
      'URL=postgres://u:p@h:5432/db?ssl=true',
      'DUP=first',
      'DUP=second',
    ].join('\n');
    const { env, warnings } = parseDotenv(text, '.env');
    assert.deepEqual(env, {
      PLAIN: 'value',
      SPACED: 'padded value',
      EXPORTED: 'yes',
      INLINE: 'kept',
      HASH: 'a#b',
      EMPTY: '',
      SINGLE: 'literal \\n $HOME # not a comment',
      DOUBLE: 'line1\nline2\t"q" \\ end',
      BACKTICK: 'it\'s "fine"',
      MULTI: 'first\nsecond',
      URL: 'postgres://u:p@h:5432/db?ssl=true',
      DUP: 'second',
    });
    assert.deepEqual(warnings, []);
  });

  it('handles CRLF line ends and a BOM', () => {
    assert.deepEqual(parseDotenv('\uFEFFA=1\r\nB="2"\r\n', '.env').env, { A: '1', B: '2' });
  });

  it('reports lines that are not assignments, with their line number', () => {
    const { env, warnings } = parseDotenv('A=1\nthis is not an assignment\n2BAD=x\n', '.env');
    assert.deepEqual(env, { A: '1' });
    assert.deepEqual(warnings, ['.env:2: not a KEY=VALUE line, ignored', '.env:3: not a KEY=VALUE line, ignored']);
  });

  it('fails on an unclosed quote, naming the line and the key', () => {
    assert.throws(
      () => parseDotenv('A=1\nB="never closed\nC=3\n', 'app.env'),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'E_CONFIG_INVALID');
        assert.match(err.message, /^app\.env:2: the value of `B` opens a " quote that is never closed/);
        return true;
      },
    );
  });
});

describe('env_file', () => {
  const project = makeTempProject();
  after(() => project.remove());
  project.write({
    'app/server.js': '',
    'app/.env': 'FROM_FILE=file\nOVERRIDDEN=file\nPORT=1111\nINHERITED=file\n',
    'app/.env.bad': 'OK=1\n???\n',
  });

  it('loads the file relative to cwd; env, env_<name> and port win over it; it wins over the inherited env', async () => {
    const file = project.write({
      'ecosystem.config.json': JSON.stringify({
        apps: [
          {
            name: 'api',
            cwd: 'app',
            script: 'server.js',
            env_file: '.env',
            port: 4000,
            env: { OVERRIDDEN: 'env' },
            env_production: { FROM_BLOCK: 'prod' },
          },
        ],
      }),
    });
    const { apps, warnings } = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, envName: 'production' });
    assert.deepEqual(warnings, []);
    const env = apps[0]?.env ?? {};
    assert.equal(env.FROM_FILE, 'file');
    assert.equal(env.OVERRIDDEN, 'env');
    assert.equal(env.FROM_BLOCK, 'prod');
    assert.equal(env.PORT, '4000');
    assert.equal(env.INHERITED, 'file');
  });

  it("passes the file's warnings on, naming the app", async () => {
    const file = project.write({
      'bad-lines.config.json': JSON.stringify({ apps: [{ name: 'api', cwd: 'app', script: 'server.js', env_file: '.env.bad' }] }),
    });
    const { apps, warnings } = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV });
    assert.equal(apps[0]?.env.OK, '1');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^bad-lines\.config\.json, app "api": .*\.env\.bad:2: not a KEY=VALUE line/);
  });

  it('a missing env_file is an error naming the app and the resolved path (a warning in PM2 files: PM2 ignores the key)', async () => {
    const file = project.write({
      'missing/tend.config.json': JSON.stringify({ apps: [{ name: 'api', cwd: '../app', script: 'server.js', env_file: 'nope.env' }] }),
    });
    await assert.rejects(loadConfigFile(file, { cwd: project.dir, env: TEST_ENV }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_CONFIG_INVALID');
      assert.match(err.message, /^missing\/tend\.config\.json, app "api": `env_file` .*app\/nope\.env does not exist/);
      return true;
    });
    const pm2 = project.write({
      'missing.config.json': JSON.stringify({ apps: [{ name: 'api', cwd: 'app', script: 'server.js', env_file: 'nope.env' }] }),
    });
    const loaded = await loadConfigFile(pm2, { cwd: project.dir, env: TEST_ENV });
    assert.equal(loaded.apps.length, 1);
    assert.match(
      loaded.warnings.join('\n'),
      /`env_file` .*app\/nope\.env does not exist; no variables loaded from it \(PM2 ignores this key\)/,
    );
  });
});
