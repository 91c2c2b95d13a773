import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { redactDetail, redactEnv, redactSpec, redactText, isSecret } from '../../src/protocol/secrets.js';
import type { ProcessDetail } from '../../src/protocol/process-info.js';
import { checkAppSpec } from '../../src/config/spec-check.js';
import { renderAppUnit } from '../../src/exporters/app-unit.js';
import type { ProcStat } from '../../src/procfs/procfs.js';
import { writeFileAtomic } from '../../src/store/atomic-write.js';
import { tendPaths } from '../../src/store/paths.js';
import { readState, writeState } from '../../src/store/state-file.js';
import type { ProcessRecord } from '../../src/supervisor/handle-types.js';
import { INITIAL } from '../../src/supervisor/process-machine.js';
import { checkRecord, planRestore } from '../../src/supervisor/restore-plan.js';
import type { FoundRun } from '../../src/supervisor/run-finder.js';
import { sampleSpec } from '../helpers/sample-spec.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tend-robust-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('secrets in URL-shaped values', () => {
  it('cuts the password out of any URL, wherever it sits in the value', () => {
    assert.equal(redactText('redis://:pw@h:6379/0'), 'redis://:[redacted]@h:6379/0');
    assert.equal(redactText('mongodb://user:p%40ss@a,b/db'), 'mongodb://user:[redacted]@a,b/db');
    assert.equal(redactText('--db=postgres://u:x@h/db --other'), '--db=postgres://u:[redacted]@h/db --other');
    assert.equal(redactText('https://example.com/a:b@c'), 'https://example.com/a:b@c', 'no userinfo, nothing to cut');
    assert.equal(redactText('http://user@host'), 'http://user@host', 'a user without a password is not secret');
    assert.deepEqual(redactEnv({ REDIS_URL: 'redis://:pw@h', API_TOKEN: 'abc', PORT: '3000' }), {
      REDIS_URL: 'redis://:[redacted]@h',
      API_TOKEN: '[redacted]',
      PORT: '3000',
    });
    assert.equal(isSecret('REDIS_URL', 'redis://:pw@h'), true);
    assert.equal(isSecret('HOME_URL', 'https://example.com'), false);
  });

  it('a spec and a describe as views show them: every place a URL password can sit is cut', () => {
    const spec = sampleSpec({
      exec: {
        script: 'worker',
        args: ['--db', 'postgres://u:pw1@h/db'],
        interpreter: 'node',
        interpreterArgs: ['--opt=amqp://u:pw2@q'],
        shell: false,
      },
      env: { API_KEY: 'pw3', DB: 'mysql://u:pw4@h/d', PORT: '3000' },
      health: {
        probe: { type: 'http', url: 'http://u:pw5@127.0.0.1:3000/h' },
        intervalMs: 1000,
        timeoutMs: 1000,
        retries: 3,
        startPeriodMs: 0,
      },
      hooks: { crash: { type: 'http', url: 'https://u:pw6@hooks.example/x' }, stop: { type: 'command', command: 'notify redis://:pw7@r' } },
    });
    const detail = {
      spec,
      reason: 'could not start: spawn redis://:pw8@r ENOENT',
      tree: [{ pid: 1, ppid: 0, command: 'node worker --db postgres://u:pw9@h/db', cpuPercent: null, memoryBytes: 0 }],
      lastLimitRestart: { reason: 'health: http://u:pw10@x failed', at: 1 },
      lastHealthCheck: { ok: false, at: 1, message: 'GET http://u:pw11@x: refused' },
    } as unknown as ProcessDetail;
    const shown = JSON.stringify(redactDetail(detail));
    assert.doesNotMatch(shown, /pw\d/, shown);
    assert.equal(redactSpec(spec).env.API_KEY, '[redacted]');
    assert.equal(redactSpec(spec).exec.args[1], 'postgres://u:[redacted]@h/db');
    assert.match(JSON.stringify(detail), /pw1.*pw11/s, 'the original is left as it was');
  });

  it('an exported unit keeps URL passwords out of the world-readable .service file', () => {
    const unit = renderAppUnit(sampleSpec({ env: { REDIS_URL: 'redis://:hunter2@db:6379', PORT: '3000' } }), {
      resolveProgram: () => '/usr/bin/node',
      envFilePath: () => '/etc/tend/api.env',
      user: null,
      rootless: false,
      generator: 'test',
    });
    assert.doesNotMatch(unit.unit, /hunter2/);
    assert.match(unit.unit, /EnvironmentFile=\/etc\/tend\/api\.env/);
    assert.match(unit.envFile ?? '', /REDIS_URL=.*hunter2/);
  });
});

describe('the daemon checks specs with the CLI schema', () => {
  it('accepts what the CLI builds, refuses wrong types, escaping names, relative paths and exec-busting sizes', () => {
    assert.equal(checkAppSpec(sampleSpec(), 'test').name, 'api');
    const bad = (over: Record<string, unknown>, re: RegExp): void => {
      assert.throws(
        () => checkAppSpec({ ...sampleSpec(), ...over }, 'test'),
        (err: Error & { code?: string }) => re.test(err.message) && err.code === 'E_INVALID_VALUE',
      );
    };
    bad({ stopExitCodes: 5 }, /stopExitCodes/);
    bad({ killTimeoutMs: '5s' }, /killTimeoutMs/);
    bad({ killSignal: 'SIGNOPE' }, /signal/);
    bad({ name: '../../etc/x' }, /invalid app name/);
    bad({ name: 'a/b' }, /invalid app name/);
    bad({ cwd: 'relative' }, /absolute path/);
    bad({ env: { A: 1 } }, /env/);
    bad({ log: { ...sampleSpec().log, outFile: 'rel.log' } }, /log\.outFile/);
    bad({ exec: { ...sampleSpec().exec, args: ['x'.repeat(200_000)] } }, /E2BIG/);
    bad({ frobnicate: true }, /a known AppSpec field/);
    bad({ health: { probe: { type: 'nope' } } }, /health/);
    assert.doesNotThrow(() =>
      checkAppSpec(
        { ...sampleSpec(), dependsOn: [{ app: 'db', condition: 'ready' }], hooks: { crash: { type: 'command', command: 'echo' } } },
        'test',
      ),
    );
  });
});

describe('state.json: atomic writes, backup, bad files kept aside', () => {
  it('a failed write leaves the old file whole, with a typed error naming the file', () => {
    const dir = tempDir();
    const file = join(dir, 'f.json');
    writeFileAtomic(file, 'old');
    mkdirSync(`${file}.${process.pid}.tmp`); // the temp path is taken: open() fails
    assert.throws(
      () => writeFileAtomic(file, 'new'),
      (err: Error & { code?: string }) => err.code === 'E_WRITE_FAILED' && /f\.json/.test(err.message),
    );
    assert.equal(readFileSync(file, 'utf8'), 'old');
  });

  it('keeps the previous state as the backup; a corrupt state.json is moved aside and the backup used', () => {
    const paths = tendPaths(tempDir());
    const record = (id: number): string =>
      JSON.stringify({
        id,
        spec: sampleSpec({ name: `app${id}` }),
        createdAt: 1,
        restarts: 0,
        snapshot: INITIAL,
        pid: null,
        startTicks: null,
        startedAt: null,
        lastExit: null,
        token: null,
      });
    writeState(paths, `{"version":1,"nextId":1,"apps":[${record(0)}]}`, true);
    writeState(paths, `{"version":1,"nextId":2,"apps":[${record(0)},${record(1)}]}`, true);
    assert.equal(JSON.parse(readFileSync(paths.stateBackup, 'utf8')).nextId, 1);
    writeFileSync(paths.stateFile, '{"version":1,"nextId":2,"apps":[{"id":0,');
    const loaded = readState(paths, checkRecord, new Date('2030-01-01T00:00:00Z'));
    assert.equal(loaded.source, 'backup');
    assert.deepEqual(
      loaded.records.map((r) => r.spec.name),
      ['app0'],
    );
    assert.match(
      loaded.notices.join(' '),
      /state\.json could not be used \(not valid JSON, perhaps truncated.*kept as state\.json\.bad-2030-01-01T00-00-00-000Z/,
    );
    assert.match(readFileSync(`${paths.stateFile}.bad-2030-01-01T00-00-00-000Z`, 'utf8'), /"apps":\[\{"id":0,$/);
  });

  it("keeps a record's last reload when it is one, and drops it (not the app) when it is damaged", () => {
    const base = { id: 3, spec: sampleSpec({ name: 'api' }), createdAt: 1, restarts: 1, snapshot: INITIAL, pid: null };
    const rest = { startTicks: null, startedAt: null, lastExit: null, token: null };
    const report = { at: 1_700_000_000_000, ok: true, replaced: [0], failedInstance: null, reason: null, stderr: [] };
    assert.deepEqual(checkRecord({ ...base, ...rest, lastReload: report }, 0).lastReload, report);
    assert.equal(checkRecord({ ...base, ...rest }, 0).lastReload, null);
    for (const bad of [
      { ...report, ok: 'yes' },
      { ...report, replaced: [-1] },
      { ...report, stderr: [1] },
      { ...report, at: null },
      'x',
      [report],
    ])
      assert.equal(checkRecord({ ...base, ...rest, lastReload: bad }, 0).lastReload, null, JSON.stringify(bad));
  });
});

describe('restore plan: one run per app, everything else stopped', () => {
  const stat = (pid: number, startTicks: number, over: Partial<ProcStat> = {}): ProcStat => ({
    pid,
    state: 'S',
    ppid: 1,
    pgrp: pid,
    session: pid,
    utimeTicks: 0,
    stimeTicks: 0,
    startTicks: String(startTicks),
    rssPages: 0,
    ...over,
  });
  const rec = (id: number, over: Partial<ProcessRecord> = {}): ProcessRecord => ({
    id,
    spec: sampleSpec({ name: `app${id}` }),
    createdAt: 1,
    restarts: 0,
    snapshot: { ...INITIAL, state: 'online' },
    pid: 100 + id,
    startTicks: '10',
    startedAt: 1,
    lastExit: null,
    token: `tag.${id}.a.x`,
    ...over,
  });
  const runs = (...list: FoundRun[]): Map<string, FoundRun> => new Map(list.map((r) => [r.token, r]));

  it('adopts the recorded run when it lives, and stops an older leftover run of the same app', () => {
    const plan = planRestore(
      { nextId: 1, records: [rec(0)] },
      [],
      runs({ token: 'tag.0.a.x', id: 0, members: [stat(100, 10)] }, { token: 'tag.0.old.y', id: 0, members: [stat(90, 5)] }),
      (pid) => pid === 100,
      1000,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.record.id, a.mode, a.record.pid]),
      [[0, 'adopt', 100]],
    );
    assert.deepEqual(
      plan.stray.map((r) => r.token),
      ['tag.0.old.y'],
    );
  });

  it('adopts a run spawned after the last state write (journaled), never starting a second copy', () => {
    const plan = planRestore(
      { nextId: 1, records: [rec(0)] },
      [{ op: 'spawn', id: 0, token: 'tag.0.b.z' }],
      runs({ token: 'tag.0.b.z', id: 0, members: [stat(200, 30), stat(201, 31, { ppid: 200, pgrp: 200, session: 200 })] }),
      () => false,
      1000,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.mode, a.record.pid, a.record.token]),
      [['adopt', 200, 'tag.0.b.z']],
    );
    assert.equal(plan.stray.length, 0);
  });

  it('counts the restart of a run spawned after the last state write (from its journaled count)', () => {
    const plan = planRestore(
      { nextId: 1, records: [rec(0, { restarts: 4 })] },
      [{ op: 'spawn', id: 0, token: 'tag.0.b.z', restarts: 5 }],
      runs({ token: 'tag.0.b.z', id: 0, members: [stat(200, 30)] }),
      () => false,
      1000,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.mode, a.record.pid, a.record.restarts]),
      [['adopt', 200, 5]],
    );
  });

  it('learns a new app from the journal, and starts a journaled app whose run never came up', () => {
    const spec = sampleSpec({ name: 'fresh' });
    const plan = planRestore(
      { nextId: 1, records: [rec(0, { pid: null, token: null, snapshot: { ...INITIAL, state: 'stopped' } })] },
      [
        { op: 'spawn', id: 1, token: 'tag.1.c.q', spec, createdAt: 5 },
        { op: 'spawn', id: 0, token: 'tag.0.c.r' },
        '{"op":"spaw', // cut by a kill: ignored
      ],
      runs({ token: 'tag.1.c.q', id: 1, members: [stat(300, 40)] }),
      () => false,
      1000,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.record.spec.name, a.mode]),
      [
        ['app0', 'start'],
        ['fresh', 'adopt'],
      ],
    );
    assert.equal(plan.nextId, 2);
  });

  it('carries out a journaled stop or delete, and stops runs of unknown apps', () => {
    const plan = planRestore(
      { nextId: 2, records: [rec(0), rec(1)] },
      [
        { op: 'stop', id: 0, remove: false },
        { op: 'stop', id: 1, remove: true },
      ],
      runs({ token: 'tag.7.x.x', id: 7, members: [stat(700, 70)] }),
      () => false,
      1000,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.record.id, a.mode, a.record.snapshot.state]),
      [[0, 'dead', 'stopped']],
    );
    assert.deepEqual(
      plan.stray.map((r) => r.id),
      [7],
    );
    assert.match(plan.notices.join(' '), /unknown app id 7/);
  });
});

describe('crc32', () => {
  it('matches the standard check value and is the same over split buffers', async () => {
    const { crc32 } = await import('../../src/lib/crc32.js');
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('1234'), Buffer.from('56789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });

  it('gives the same value from zlib and from the plain JS table (older Node 20)', async () => {
    const { crc32, tableCrc32 } = await import('../../src/lib/crc32.js');
    const record = Buffer.from(JSON.stringify({ env: process.env, n: 'é→🙂' }));
    assert.equal(tableCrc32([record.subarray(0, 7), record.subarray(7)]), crc32(record));
    assert.equal(tableCrc32([Buffer.from('123456789')]), 0xcbf43926);
  });
});
