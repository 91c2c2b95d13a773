import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TendError } from '../errors.js';

/** errno codes that mean "the disk cannot take this write" (full, quota, I/O error). */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'EROFS']);

/** True when an error says the filesystem refused a write (full disk, quota, I/O error, read-only). */
export function isDiskError(err: unknown): boolean {
  return DISK_CODES.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** One line for humans: "no space left on device (ENOSPC)". */
export function describeWriteError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EIO: 'I/O error',
    EFBIG: 'file too large',
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
  };
  const code = e?.code;
  if (code !== undefined && text[code] !== undefined) return `${text[code]} (${code})`;
  return e?.message ?? String(err);
}

/**
 * Writes all of `data` at the fd's position (or at `position`, in place); writeSync may write
 * less than asked (a short write).
 */
export function writeFully(fd: number, data: Buffer, position?: number): void {
  let off = 0;
  while (off < data.length) {
    const n =
      position === undefined ? writeSync(fd, data, off, data.length - off) : writeSync(fd, data, off, data.length - off, position + off);
    // A zero-byte write would loop forever; the kernel reports a full disk as ENOSPC, but be sure.
    if (n <= 0) throw Object.assign(new Error(`short write (${off} of ${data.length} bytes)`), { code: 'ENOSPC' });
    off += n;
  }
}

/**
 * Writes a file so that readers see the old or the new content, never a torn one: temp file in
 * the same folder, written fully (every short write continued, a failed one fatal), fsync,
 * rename, fsync the folder. On any failure the temp file is removed, the old file is left as it
 * was, and an E_WRITE_FAILED error says which file and why (ENOSPC, EIO, …). `durable: false`
 * skips the fsyncs for state that means nothing after a reboot (still all-or-nothing against a
 * crash of this process, which leaves the page cache intact).
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600, durable = true): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${path}.${process.pid}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w', mode);
    writeFully(fd, bytes);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null)
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already gone */
    }
    throw writeFailed(path, err);
  }
  if (durable) fsyncDir(dirname(path));
}

/** fsync on a folder makes a rename durable; some filesystems refuse it (the rename is still atomic). */
export function fsyncDir(dir: string): void {
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: nothing more can be done.
  }
}

/** The typed error of a failed write: which file, why, and that the old content is intact. */
export function writeFailed(path: string, err: unknown): TendError {
  return new TendError('E_WRITE_FAILED', `could not write ${basename(path)}: ${describeWriteError(err)}`, {
    hint: `The previous ${basename(path)} is unchanged. ${isDiskError(err) ? `Free space on the filesystem of ${dirname(path)}` : `Check ${dirname(path)}`}, then try again.`,
    details: { file: path, errno: (err as NodeJS.ErrnoException)?.code ?? null, disk: isDiskError(err) },
    cause: err,
  });
}
