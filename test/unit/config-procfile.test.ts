import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { parseFormation, parseProcfile, procfileApps } from '../../src/config/procfile.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

describe('parseProcfile', () => {
  it('reads `name: command` lines, skipping comments and blank lines', () => {
    const { entries, warnings } = parseProcfile('# comment\nweb: node server.js\n\n  worker:bundle exec sidekiq  \nbad line\n', 'Procfile');
    assert.deepEqual(entries, [
      { type: 'web', command: 'node server.js', line: 2 },
      { type: 'worker', command: 'bundle exec sidekiq', line: 4 },
    ]);
    assert.deepEqual(warnings, ['Procfile:5: not a `name: command` line, ignored']);
  });

  it('rejects a type defined twice, and a Procfile with no process', () => {
    assert.throws(() => parseProcfile('web: a\nweb: b\n', 'Procfile'), /Procfile:2: process type `web` is already defined on line 1/);
    assert.throws(() => parseProcfile('# nothing\n', 'Procfile'), /Procfile defines no processes/);
  });
});

describe('--formation', () => {
  const types = ['web', 'worker', 'clock'];
  it('defaults to one of each', () => {
    assert.deepEqual(
      [...parseFormation(undefined, types)],
      [
        ['web', 1],
        ['worker', 1],
        ['clock', 1],
      ],
    );
  });
  it('takes type=count pairs, and all=N for the rest', () => {
    assert.deepEqual(
      [...parseFormation('web=2,worker=0', types)],
      [
        ['web', 2],
        ['worker', 0],
        ['clock', 1],
      ],
    );
    assert.deepEqual(
      [...parseFormation('all=3, clock=1', types)],
      [
        ['clock', 1],
        ['web', 3],
        ['worker', 3],
      ],
    );
  });
  it('rejects unknown types (listing the real ones) and malformed pairs', () => {
    assert.throws(() => parseFormation('wbe=2', types), /no process type `wbe`; its types are: web, worker, clock/);
    assert.throws(() => parseFormation('web:2', types), /expected `type=count` pairs/);
    assert.throws(() => parseFormation('web=-1', types), /expected `type=count` pairs/);
  });
});

describe('ports and names, the way foreman assigns them', () => {
  const entries = parseProcfile('web: a\nworker: b\nclock: c\n', 'Procfile').entries;
  it('base + 100 per process type (Procfile order) + 1 per instance; names type.N', () => {
    const apps = procfileApps(entries, { formation: 'web=2,worker=3,clock=0', basePort: 5000 });
    const ports = apps.map((a) => [a.name, (a.env as Record<string, string>).PORT]);
    assert.deepEqual(ports, [
      ['web.1', '5000'],
      ['web.2', '5001'],
      ['worker.1', '5100'],
      ['worker.2', '5101'],
      ['worker.3', '5102'],
    ]);
    assert.deepEqual(apps[1], { name: 'web.2', script: 'a', shell: true, env: { PORT: '5001', PS: 'web.2' } });
  });
});

describe('tend start Procfile', () => {
  const project = makeTempProject('procfile');
  after(() => project.remove());
  const load = (options: { formation?: string; basePort?: number; only?: string[]; env?: Record<string, string> } = {}) =>
    loadConfigFile(project.path('Procfile'), { cwd: project.dir, env: options.env ?? TEST_ENV, ...options });

  it('runs each command through the shell, from the Procfile folder, with .env loaded', async () => {
    const { apps, warnings } = await load();
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      apps.map((a) => a.name),
      ['web.1', 'worker.1', 'release.1'],
    );
    const web = apps[0];
    assert.deepEqual(web?.exec, { script: 'node server.js --port $PORT', args: [], interpreter: null, interpreterArgs: [], shell: true });
    assert.equal(web?.cwd, project.dir);
    assert.equal(web?.env.PORT, '5000');
    assert.equal(web?.env.PS, 'web.1');
    assert.equal(web?.env.DATABASE_URL, 'postgres://localhost/shop');
    assert.equal(web?.env.GREETING, 'hello\nworld');
    assert.equal(web?.env.INHERITED, 'yes');
    assert.equal(apps[1]?.env.PORT, '5100');
    assert.equal(apps[2]?.env.PORT, '5200');
  });

  it('applies --formation and a base port', async () => {
    const { apps } = await load({ formation: 'all=0,web=2', basePort: 8000 });
    assert.deepEqual(
      apps.map((a) => [a.name, a.env.PORT]),
      [
        ['web.1', '8000'],
        ['web.2', '8001'],
      ],
    );
  });

  it('takes the base port from PORT in the environment, as foreman does', async () => {
    const { apps } = await load({ env: { ...TEST_ENV, PORT: '3000' } });
    assert.deepEqual(
      apps.map((a) => a.env.PORT),
      ['3000', '3100', '3200'],
    );
  });

  it('--only takes a process type or an instance name', async () => {
    assert.deepEqual(
      (await load({ formation: 'web=2', only: ['web'] })).apps.map((a) => a.name),
      ['web.1', 'web.2'],
    );
    assert.deepEqual(
      (await load({ formation: 'web=2', only: ['web.2', 'release'] })).apps.map((a) => a.name),
      ['web.2', 'release.1'],
    );
    await assert.rejects(load({ only: ['db'] }), /no app named `db`; its apps are: web.1, worker.1, release.1/);
  });

  it('rejects a formation that starts nothing, and --formation on an ecosystem file', async () => {
    await assert.rejects(load({ formation: 'all=0' }), /starts no process/);
    const file = project.write({ 'ecosystem.config.json': '{"apps":[{"script":"x"}]}' });
    await assert.rejects(
      loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, formation: 'web=2' }),
      /--formation and --port apply to a Procfile/,
    );
  });

  it('reports a bad .env line once, not once per process', async () => {
    const file = project.write({ 'noisy/Procfile': 'web: a\nworker: b\n', 'noisy/.env': 'A=1\noops\n' });
    const { apps, warnings } = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV, formation: 'web=3' });
    assert.equal(apps.length, 4);
    assert.equal(apps[3]?.env.A, '1');
    assert.deepEqual(warnings, ['noisy/.env:2: not a KEY=VALUE line, ignored']);
  });

  it('reads Procfile.* variants', async () => {
    const file = project.write({ 'Procfile.dev': 'web: npm run dev\n' });
    const { apps } = await loadConfigFile(file, { cwd: project.dir, env: TEST_ENV });
    assert.deepEqual(
      apps.map((a) => a.name),
      ['web.1'],
    );
  });
});
