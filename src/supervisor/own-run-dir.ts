import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDir } from '../lib/ensure-dir.js';
import type { RunAs } from '../protocol/app-spec.js';
import { OWN_DIR_FILES, ownRunDir, ptySocketPath, type TendPaths } from '../store/paths.js';

/**
 * The folder a holder or PTY holder of an app that runs as another user works in (see
 * `ownRunDir`): made by the daemon, then given to the user, mode 0700. The daemon (root) never
 * follows a name inside it: it only unlinks there and makes hard links there (neither follows a
 * symlink the user may have put in its place), and reaches the sockets through its own symlinks,
 * in folders only it writes.
 */
export function prepareOwnDir(paths: TendPaths, id: number, runAs: RunAs): string {
  ensureDir(paths.holderDir);
  const dir = ownRunDir(paths, id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // holders/ is the daemon's alone: nothing but the daemon can have put a symlink at `dir`.
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  // The app changed users: the previous one's holder log is not the new one's to read.
  if (st.uid !== runAs.uid) unlinkQuietly(join(dir, OWN_DIR_FILES.log));
  chownSync(dir, runAs.uid, runAs.gid);
  chmodSync(dir, 0o700);
  return dir;
}

/** Puts a hard link to `file` (already the user's) at `name` inside the app's folder. */
export function linkInto(file: string, dir: string, name: string): void {
  unlinkQuietly(join(dir, name));
  linkSync(file, join(dir, name));
}

/** Makes `link` (in a folder only the daemon writes) a symlink to `target`. */
export function pointAt(link: string, target: string): void {
  ensureDir(dirname(link));
  unlinkQuietly(link);
  symlinkSync(target, link);
}

/**
 * Where a PTY holder listens: its attach socket; as another user, in its own folder (its cwd),
 * named relative to it, and reached by the daemon and `tend attach` through a symlink.
 */
export function ptyHome(paths: TendPaths, id: number, runAs: RunAs | undefined): { socket: string; cwd?: string } {
  const socket = ptySocketPath(paths, id);
  if (runAs === undefined) return { socket };
  const dir = prepareOwnDir(paths, id, runAs);
  pointAt(socket, join(dir, OWN_DIR_FILES.attach));
  return { socket: OWN_DIR_FILES.attach, cwd: dir };
}

/** The app was deleted: its FIFOs and spools, its holder's files, its own folder and attach symlink go. */
export function removeAppFiles(
  paths: TendPaths,
  app: { id: number; pipes: { remove(): void }; pool: { removeFiles(): void } | null },
): void {
  app.pipes.remove();
  app.pool?.removeFiles();
  removeOwnDir(paths, app.id);
}

function removeOwnDir(paths: TendPaths, id: number): void {
  const attach = ptySocketPath(paths, id);
  try {
    if (lstatSync(attach).isSymbolicLink()) unlinkSync(attach);
  } catch {
    /* no PTY app, or its holder removed its socket */
  }
  const dir = ownRunDir(paths, id);
  for (const name of Object.values(OWN_DIR_FILES)) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      /* not there, or something of the user's (a folder) that the rmdir below leaves */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* not there, or the app left files of its own: kept, never removed recursively as root */
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
