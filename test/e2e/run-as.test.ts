import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, TendHome, cleanEnv, type CliResult } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

const NOBODY = 65534;
const root = process.geteuid?.() === 0;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function project(dir: string, key: string, value: string | number): string {
  const file = join(dir, `${key}.config.js`);
  writeFileSync(file, `module.exports = { apps: [{ name: 'as-${key}', script: 'sleep', args: '1000', ${key}: ${JSON.stringify(value)} }] };\n`);
  return file;
}

describe('PM2\'s uid/user/gid: never a quiet run as the wrong user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-run-as-'));
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses another user or group with a one-line error (exit 2) and starts nothing', async () => {
    for (const [key, value] of [['uid', 'nobody'], ['user', NOBODY], ['gid', 'nogroup']] as const) {
      const r = await t.run(['start', project(dir, key, value)]);
      assert.equal(r.code, 2, `${key}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', new RegExp(`\`${key}: ${value}\` asks to run the app as another (user|group): `));
      if (root && key !== 'gid') assert.match(lines[0] ?? '', /would run as root/);
    }
    assert.deepEqual((await t.list()).map((a) => a.name), []);
  });

  it('accepts its own user and group (what tend does anyway)', async () => {
    const r = await t.run(['start', project(dir, 'uid', process.geteuid?.() ?? 0)]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /uid/);
  });

  // The refusal of a daemon that is not root, checked as `nobody` (from root, through setpriv).
  needs(root ? null : 'needs root to run the CLI as another user').it('a tend running as another user than root says that it needs root', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tend-run-as-home-'));
    chownSync(home, NOBODY, NOBODY);
    chmodSync(dir, 0o755);
    try {
      const env = { ...cleanEnv(process.env), TEND_HOME: home, HOME: home, NO_COLOR: '1' };
      const r = await run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, 'start', project(dir, 'uid', 'root')], env, dir);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr.trim(), /^[^\n]*`uid: root` asks to run the app as another user: that needs tend running as root, and it runs as nobody[^\n]*$/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
