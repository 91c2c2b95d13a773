import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadLibc, libcUnavailableReason, type Libc } from '../../src/spawner/libc.js';
import { SpoolReserve } from '../../src/supervisor/spool-reserve.js';
import { fillDisk } from '../helpers/fill-disk.js';
import { needs, rootMissing } from '../helpers/needs.js';

const KIB = 1024;

function realLibc(): Libc {
  const libc = loadLibc();
  assert.ok(libc !== null, `koffi cannot load libc: ${libcUnavailableReason()}`);
  return libc;
}

const allocated = (fd: number): number => fstatSync(fd).blocks * 512;

describe('SpoolReserve on a real file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-reserve-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('allocates blocks past the end without changing the size, and takes them again after emptying', () => {
    const fd = openSync(join(dir, 'spool'), 'w+');
    try {
      const reserve = new SpoolReserve(realLibc(), fd);
      assert.equal(reserve.take(0, 128 * KIB), 128 * KIB);
      assert.equal(fstatSync(fd).size, 0, 'the size still says what left the pipe: nothing');
      assert.ok(allocated(fd) >= 128 * KIB, `${allocated(fd)} bytes allocated`);
      writeSync(fd, Buffer.alloc(100 * KIB, 1), 0, 100 * KIB, 0);
      assert.equal(reserve.roomAt(100 * KIB), 28 * KIB, 'room left in the reserve after 100 KiB');
      assert.equal(reserve.roomAt(200 * KIB), 0);
      // A held tail of 10 KiB: the reserve is taken past it.
      ftruncateSync(fd, 10 * KIB);
      reserve.freed();
      assert.equal(reserve.roomAt(10 * KIB), 0, 'emptying gave the blocks back');
      assert.equal(reserve.take(10 * KIB, 128 * KIB), 128 * KIB);
      assert.equal(fstatSync(fd).size, 10 * KIB);
      assert.ok(allocated(fd) >= 138 * KIB);
    } finally {
      closeSync(fd);
    }
  });
});

const req = needs(rootMissing('mount a tmpfs'));

describe('SpoolReserve on a nearly full filesystem', () => {
  let mountPoint = '';
  let mounted = false;
  req.before(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'tend-reserve-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
    mounted = true;
  });
  after(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
    if (mountPoint !== '') rmSync(mountPoint, { recursive: true, force: true });
  });

  req.it('takes as much as the filesystem holds, halving down to a page, and none when it is full', () => {
    const filler = openSync(join(mountPoint, 'filler'), 'w');
    writeSync(filler, Buffer.alloc(256 * KIB - 48 * KIB));
    closeSync(filler);
    const fd = openSync(join(mountPoint, 'spool'), 'w+');
    try {
      const reserve = new SpoolReserve(realLibc(), fd);
      // 128 KiB and 64 KiB do not fit in the 48 KiB left; 32 KiB does.
      assert.equal(reserve.take(0, 128 * KIB), 32 * KIB);
      assert.equal(fstatSync(fd).size, 0);
      assert.ok(reserve.supported);
      fillDisk(mountPoint, 'rest');
      // Written into the reserve: no new block needed on the full filesystem.
      assert.equal(writeSync(fd, Buffer.alloc(32 * KIB, 1), 0, 32 * KIB, 0), 32 * KIB);
      assert.equal(reserve.take(32 * KIB, 128 * KIB), 0, 'nothing more to be had');
      const late = openSync(join(mountPoint, 'late'), 'w+');
      try {
        assert.equal(new SpoolReserve(realLibc(), late).take(0, 128 * KIB), 0, 'a spool opened on a full filesystem gets no reserve');
      } finally {
        closeSync(late);
      }
    } finally {
      closeSync(fd);
    }
  });
});

describe('SpoolReserve where fallocate fails', () => {
  const failing = (errnos: number[]): Pick<Libc, 'fallocate' | 'errno'> & { calls: number } => {
    const fake = {
      calls: 0,
      fallocate: () => (fake.calls++ < errnos.length ? -1 : 0),
      errno: () => errnos[fake.calls - 1] ?? 0,
    };
    return fake;
  };

  it('is unbounded where the filesystem cannot reserve (EOPNOTSUPP), as before reserves existed', () => {
    const reserve = new SpoolReserve(failing([constants.errno.EOPNOTSUPP]), -1);
    assert.equal(reserve.take(0, 128 * KIB), Infinity);
    assert.equal(reserve.supported, false);
    assert.equal(reserve.roomAt(10 * 1024 * KIB), Infinity);
  });

  it('retries after EINTR and gives up on an I/O error without a reserve', () => {
    const interrupted = failing([constants.errno.EINTR]);
    assert.equal(new SpoolReserve(interrupted, -1).take(0, 64 * KIB), 64 * KIB);
    assert.equal(interrupted.calls, 2);
    const broken = failing([constants.errno.EIO]);
    assert.equal(new SpoolReserve(broken, -1).take(0, 64 * KIB), 0);
    assert.equal(broken.calls, 1);
  });
});
