import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { isTendError } from '../../src/errors.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';
import { DUMP_VERSION, parseDump, readDump, writeDump } from '../../src/store/dump.js';
import { tendPaths, type TendPaths } from '../../src/store/paths.js';
import { sampleSpec } from '../helpers/sample-spec.js';

function spec(name: string, env: Record<string, string> = {}): AppSpec {
  return sampleSpec({
    name,
    exec: { script: `/srv/${name}/server.js`, args: ['--port', '3000'], interpreter: 'node', interpreterArgs: [], shell: false },
    cwd: `/srv/${name}`,
    env,
  });
}

const ENV = { API_TOKEN: 'real secret', SPACES: 'a  b', QUOTES: 'it\'s "q"', UNICODE: 'é ✓', NL: 'one\ntwo', EMPTY: '' };

describe('dump store', () => {
  const dirs: string[] = [];
  let paths: TendPaths;
  beforeEach(() => {
    const home = mkdtempSync(join(tmpdir(), 'tend-dump-'));
    dirs.push(home);
    paths = tendPaths(home);
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('round-trips every spec, environment included (real secret values), versioned', () => {
    const apps = [spec('api', ENV), spec('worker')];
    writeDump(paths, apps, new Date('2024-05-01T10:00:00Z'));
    const raw = JSON.parse(readFileSync(paths.dumpFile, 'utf8')) as { version: number; savedAt: string };
    assert.equal(raw.version, DUMP_VERSION);
    assert.equal(raw.savedAt, '2024-05-01T10:00:00.000Z');
    const loaded = readDump(paths);
    assert.deepEqual(loaded, { apps, savedAt: '2024-05-01T10:00:00.000Z', source: 'dump', notices: [] });
  });

  it('writes the dump and its backup readable by the owner only (0600)', () => {
    writeDump(paths, [spec('a')], new Date());
    writeDump(paths, [spec('b')], new Date());
    assert.equal(statSync(paths.dumpFile).mode & 0o777, 0o600);
    assert.equal(statSync(paths.dumpBackup).mode & 0o777, 0o600);
  });

  it('keeps the previous dump as the backup', () => {
    writeDump(paths, [spec('first')], new Date());
    const first = readFileSync(paths.dumpFile, 'utf8');
    writeDump(paths, [spec('second')], new Date());
    assert.equal(readFileSync(paths.dumpBackup, 'utf8'), first);
    assert.deepEqual(
      readDump(paths)?.apps.map((a) => a.name),
      ['second'],
    );
  });

  it('never lets a corrupt dump overwrite a good backup', () => {
    writeDump(paths, [spec('good')], new Date());
    writeDump(paths, [spec('newer')], new Date());
    const backup = readFileSync(paths.dumpBackup, 'utf8');
    writeFileSync(paths.dumpFile, '{"version": 1, "sav');
    writeDump(paths, [spec('latest')], new Date());
    assert.equal(readFileSync(paths.dumpBackup, 'utf8'), backup);
  });

  it('falls back to the backup when the dump is corrupt, and says so', () => {
    writeDump(paths, [spec('old')], new Date('2024-01-01T00:00:00Z'));
    writeDump(paths, [spec('new')], new Date());
    writeFileSync(paths.dumpFile, 'not json at all');
    const loaded = readDump(paths);
    assert.equal(loaded?.source, 'backup');
    assert.deepEqual(
      loaded?.apps.map((a) => a.name),
      ['old'],
    );
    assert.equal(loaded?.notices.length, 1);
    assert.match(
      loaded?.notices[0] ?? '',
      /dump\.json cannot be used \(not valid JSON.*\); using dump\.json\.bak, saved 2024-01-01T00:00:00\.000Z/,
    );
  });

  it('treats a truncated dump (cut mid-write) as corrupt', () => {
    writeDump(paths, [spec('old')], new Date());
    writeDump(paths, [spec('new', ENV)], new Date());
    const text = readFileSync(paths.dumpFile, 'utf8');
    writeFileSync(paths.dumpFile, text.slice(0, Math.floor(text.length / 2)));
    const loaded = readDump(paths);
    assert.equal(loaded?.source, 'backup');
    assert.match(loaded?.notices[0] ?? '', /perhaps truncated/);
    writeFileSync(paths.dumpFile, '');
    assert.match(readDump(paths)?.notices[0] ?? '', /empty file/);
  });

  it('falls back on an unknown format version or a malformed app', () => {
    writeDump(paths, [spec('old')], new Date());
    writeDump(paths, [spec('new')], new Date());
    writeFileSync(paths.dumpFile, JSON.stringify({ version: 2, savedAt: 'x', apps: [] }));
    assert.match(readDump(paths)?.notices[0] ?? '', /format version 2 is not 1/);
    writeFileSync(paths.dumpFile, JSON.stringify({ version: 1, savedAt: 'x', apps: [{ name: 'broken', env: { A: 1 } }] }));
    assert.match(readDump(paths)?.notices[0] ?? '', /app #0 \(broken\): no exec/);
  });

  it('uses the backup when the dump is missing', () => {
    writeDump(paths, [spec('old')], new Date());
    writeDump(paths, [spec('new')], new Date());
    rmSync(paths.dumpFile);
    const loaded = readDump(paths);
    assert.equal(loaded?.source, 'backup');
    assert.match(loaded?.notices[0] ?? '', /dump\.json is missing/);
  });

  it('both corrupt: a clear E_STATE_CORRUPT error, and both files left untouched', () => {
    writeFileSync(paths.dumpFile, '{"version":1,"savedAt":"x","apps":[{"name":');
    writeFileSync(paths.dumpBackup, 'garbage');
    chmodSync(paths.dumpFile, 0o600);
    const before = [
      readFileSync(paths.dumpFile),
      readFileSync(paths.dumpBackup),
      statSync(paths.dumpFile).mtimeMs,
      statSync(paths.dumpBackup).mtimeMs,
    ];
    assert.throws(
      () => readDump(paths),
      (err: unknown) => {
        assert.ok(isTendError(err));
        assert.equal(err.code, 'E_STATE_CORRUPT');
        assert.match(err.message, /dump\.json: not valid JSON.*; dump\.json\.bak: not valid JSON/);
        assert.match(err.hint ?? '', /Nothing was started or changed/);
        return true;
      },
    );
    assert.deepEqual(
      [readFileSync(paths.dumpFile), readFileSync(paths.dumpBackup), statSync(paths.dumpFile).mtimeMs, statSync(paths.dumpBackup).mtimeMs],
      before,
    );
  });

  it('nothing saved yet: null, not an error', () => {
    assert.equal(readDump(paths), null);
  });

  it('parseDump names what is wrong', () => {
    assert.throws(() => parseDump('[]'), /not a JSON object/);
    assert.throws(() => parseDump('{"version":1,"savedAt":"x"}'), /no apps array/);
  });

  it("keeps each cluster instance's id (null for other apps); refuses instance ids that do not match the apps", () => {
    writeDump(paths, [spec('echo'), { ...spec('child'), instances: 2, execMode: 'cluster' }], new Date(), [0, 1], [null, [1, 3]]);
    const loaded = readDump(paths);
    assert.deepEqual(loaded?.ids, [0, 1]);
    assert.deepEqual(loaded?.instanceIds, [null, [1, 3]]);
    const text = readFileSync(paths.dumpFile, 'utf8');
    assert.throws(() => parseDump(text.replace('"instanceIds": [', '"instanceIds": [[-1],')), /instanceIds do not match the apps/);
    assert.throws(
      () => parseDump(text.replace(/"instanceIds": \[[^\]]*\[[^\]]*\]\s*\]/, '"instanceIds": ["x", null]')),
      /instanceIds do not match the apps/,
    );
  });
});
