import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT } from '../helpers/tend.js';

const preload = join(ROOT, 'test', 'fixtures', 'scripts', 'fake-platform.cjs');

describe('on another OS tend says it needs Linux, at once', () => {
  it('the CLI exits 1 with one line and starts nothing', () => {
    const home = mkdtempSync(join(tmpdir(), 'tend-platform-'));
    try {
      const r = spawnSync(process.execPath, ['-r', preload, BIN, 'start', 'x.js'], {
        env: { ...process.env, TEND_HOME: home },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^tend: tend runs on Linux only .* this is darwin — run it in a Linux VM or container\n$/);
      assert.deepEqual(readdirSync(home), [], 'nothing was created in TEND_HOME');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  it('the Node API rejects connect() with E_UNSUPPORTED_PLATFORM', () => {
    const code = "require('tend-pm').connect().then(() => process.exit(5), (e) => { console.log(e.code); process.exit(0); })";
    const r = spawnSync(process.execPath, ['-r', preload, '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'E_UNSUPPORTED_PLATFORM');
  });
});
