import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * mkdir -p with bounded work. Node's `mkdirSync(p, {recursive: true})` spins forever on some
 * pseudo-filesystems (under /proc, mkdir answers ENOENT while the parent exists), so this walks
 * up at most once per path component and fails with the real error instead.
 */
export function ensureDir(path: string, mode = 0o700): void {
  try {
    mkdirSync(path, { mode });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(path).isDirectory()) throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
      return;
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    ensureDir(parent, mode);
  }
  mkdirSync(path, { mode });
}

/** The path is a directory (following links); false when it is anything else or cannot be read. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
