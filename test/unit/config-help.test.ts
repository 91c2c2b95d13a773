import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { renderConfigHelp, renderConfigMarkdown } from '../../src/config/help.js';
import { INIT_FILE_NAME, renderInitTemplate } from '../../src/config/init-template.js';
import { loadConfigFile } from '../../src/config/load.js';
import { APP_FIELDS } from '../../src/config/schema.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

describe('tend help config', () => {
  const text = renderConfigHelp({ width: 100 });

  it('lists every field with its type, default and aliases', () => {
    for (const f of APP_FIELDS) {
      assert.match(text, new RegExp(`^  ${f.key.replace(/[<>]/g, '.')}\\s`, 'm'), f.key);
      for (const alias of f.aliases ?? []) assert.ok(text.includes(alias), `${f.key} alias ${alias}`);
    }
    assert.match(text, /^ {2}kill_timeout\s+duration, default 5000 ms$/m);
    assert.match(text, /^ {2}log_max_size\s+size, default 10M$/m);
    assert.match(text, /^ {2}kill_signal\s+signal$/m);
  });

  it('groups fields by status and says why a key has no effect', () => {
    const sections = ['PM2 keys tend supports:', "tend's own keys:", 'Accepted, no effect yet', 'Ignored on purpose'];
    const at = sections.map((s) => text.indexOf(s));
    assert.ok(
      at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? 0))),
      'sections in order',
    );
    const flat = text.replace(/\s+/g, ' ');
    assert.match(flat, /Not supported yet: registering without starting is not built yet\./);
    assert.match(flat, /Ignored: tend always signals the app's whole process group/);
  });

  it('wraps to the width', () => {
    for (const line of renderConfigHelp({ width: 72 }).split('\n')) {
      if (line.startsWith('      ')) assert.ok(line.length <= 72, line);
    }
  });
});

describe('README table', () => {
  const md = renderConfigMarkdown();
  it('has one row per field, with every column', () => {
    const rows = md.trim().split('\n');
    assert.equal(rows[0], '| Key | Type | Default | Unit | Aliases | Status | Description |');
    assert.equal(rows.length, APP_FIELDS.length + 2);
    for (const f of APP_FIELDS)
      assert.ok(
        rows.some((r) => r.startsWith(`| \`${f.key}\` |`)),
        f.key,
      );
    assert.ok(
      rows.includes(
        '| `log_type` | raw\\|json | `raw` |  |  | supported | `json` writes one JSON record per line (time, app, instance, stream, message). |',
      ),
    );
    for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length, 9, row);
  });
});

describe('tend init template', () => {
  const project = makeTempProject();
  after(() => project.remove());

  it('is a valid config that loads with no warning, as CommonJS even in an ES-module project', async () => {
    const file = project.write({
      [INIT_FILE_NAME]: renderInitTemplate({ name: 'shop', script: 'src/main.js' }),
      'src/main.js': '',
      'package.json': '{"type":"module"}',
    });
    const { apps, warnings } = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV });
    assert.deepEqual(warnings, []);
    assert.equal(apps.length, 1);
    assert.equal(apps[0]?.name, 'shop');
    assert.equal(apps[0]?.exec.script, project.path('src', 'main.js'));
    assert.equal(apps[0]?.env.NODE_ENV, 'development');
    assert.equal(apps[0]?.expBackoffRestartDelayMs, 100);
    const prod = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, envName: 'production' });
    assert.equal(prod.apps[0]?.env.NODE_ENV, 'production');
  });

  it('quotes names and scripts safely and uses defaults', () => {
    assert.match(renderInitTemplate(), /name: 'app',/);
    assert.match(renderInitTemplate(), /script: 'server.js',/);
    assert.match(renderInitTemplate({ script: "it's.js" }), /script: 'it\\'s\.js',/);
  });
});
