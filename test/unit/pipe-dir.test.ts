import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  symlinkSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statfsSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { preparePipeDir, releasePipeDir } from '../../src/store/pipe-dir.js';
import { needs } from '../helpers/needs.js';

const TMPFS_MAGIC = 0x01021994;
const BASE = '/dev/shm';
const onTmpfs = (() => {
  try {
    return statfsSync(BASE).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
})();
const tmpfs = needs(onTmpfs ? null : `${BASE} is not a tmpfs here`);
const asRoot = needs(!onTmpfs ? `${BASE} is not a tmpfs here` : process.getuid?.() !== 0 ? 'needs root (chown)' : null);

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'tend-pipedir-'));
  dirs.push(d);
  return d;
}

describe('where the FIFOs live', () => {
  tmpfs.it('root and system users: a link to a private folder on tmpfs, kept across daemons, removed by release', () => {
    const pipes = join(home(), 'pipes');
    const first = preparePipeDir(pipes, { base: BASE, uid: process.getuid?.() ?? 0 });
    assert.equal(first.where, 'tmpfs');
    assert.ok(lstatSync(pipes).isSymbolicLink());
    const target = readlinkSync(pipes);
    dirs.push(target);
    assert.ok(target.startsWith(`${BASE}/tend-`));
    assert.equal(lstatSync(target).mode & 0o777, 0o700);
    assert.equal(statfsSync(target).type, TMPFS_MAGIC);
    // The next daemon keeps the same folder: running apps' FIFOs are in it.
    writeFileSync(join(pipes, '0.out'), '');
    assert.equal(preparePipeDir(pipes, { base: BASE }).where, 'tmpfs');
    assert.equal(readlinkSync(pipes), target);
    releasePipeDir(pipes);
    assert.equal(existsSync(pipes), false);
    assert.equal(existsSync(target), false);
  });

  tmpfs.it('replaces a link to a folder others can enter, or one that vanished (a reboot)', () => {
    const pipes = join(home(), 'pipes');
    preparePipeDir(pipes, { base: BASE });
    const first = readlinkSync(pipes);
    dirs.push(first);
    chmodSync(first, 0o755);
    preparePipeDir(pipes, { base: BASE });
    const second = readlinkSync(pipes);
    dirs.push(second);
    assert.notEqual(second, first);
    rmSync(second, { recursive: true });
    preparePipeDir(pipes, { base: BASE });
    const third = readlinkSync(pipes);
    dirs.push(third);
    assert.notEqual(third, second);
    assert.equal(lstatSync(third).mode & 0o777, 0o700);
  });

  asRoot.it('never follows a link to a folder of another user', () => {
    const pipes = join(home(), 'pipes');
    const foreign = mkdtempSync(join(BASE, 'tend-test-foreign-'));
    dirs.push(foreign);
    chmodSync(foreign, 0o700);
    chownSync(foreign, 4242, 4242);
    symlinkSync(foreign, pipes);
    assert.equal(preparePipeDir(pipes, { base: BASE }).where, 'tmpfs');
    assert.notEqual(readlinkSync(pipes), foreign);
    dirs.push(readlinkSync(pipes));
  });

  it('login users (uid ≥ 1000), TEND_PIPES=home, or a base that is not a tmpfs: a folder in the home', () => {
    const a = join(home(), 'pipes');
    const login = preparePipeDir(a, { base: BASE, uid: 1000 });
    assert.equal(login.where, 'home');
    assert.match(login.note, /login user/);
    assert.ok(lstatSync(a).isDirectory());
    const b = join(home(), 'pipes');
    assert.equal(preparePipeDir(b, { base: BASE, mode: 'home' }).where, 'home');
    const c = join(home(), 'pipes');
    const notTmpfs = home();
    assert.match(preparePipeDir(c, { base: notTmpfs, uid: 0 }).note, /not a tmpfs/);
    assert.ok(lstatSync(c).isDirectory());
  });

  tmpfs.it('keeps a folder in the home that still holds FIFOs (apps may run on them); an empty one moves to tmpfs', () => {
    const h = home();
    const pipes = join(h, 'pipes');
    mkdirSync(pipes);
    writeFileSync(join(pipes, '3.out'), '');
    assert.equal(preparePipeDir(pipes, { base: BASE, uid: 0 }).where, 'home');
    assert.ok(lstatSync(pipes).isDirectory());
    rmSync(join(pipes, '3.out'));
    writeFileSync(join(pipes, 'spare-1-1'), '');
    assert.equal(preparePipeDir(pipes, { base: BASE, uid: 0 }).where, 'tmpfs');
    dirs.push(readlinkSync(pipes));
  });
});
