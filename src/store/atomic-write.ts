import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so that readers see the old or the new content, never a torn one, even across
 * a power cut: temp file in the same folder, fsync, rename, fsync the folder. `durable: false`
 * skips the fsyncs for state that means nothing after a reboot (still atomic against crashes).
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600, durable = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (!durable) return;
  try {
    const dirFd = openSync(dirname(path), 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
