import {
  type Stats,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDir } from '../lib/ensure-dir.js';

/** statfs f_type of tmpfs. */
const TMPFS_MAGIC = 0x01021994;
/** logind's RemoveIPC (on by default) empties /dev/shm of users above this uid when they log out. */
const SYSTEM_UID_MAX = 999;

export interface PipeDirOptions {
  /** Where a memory-backed folder is made; TEND_PIPE_BASE, default /dev/shm. */
  base?: string;
  /** `home` keeps the FIFOs in TEND_HOME/pipes; `tmpfs` uses the base even for a login user; `auto` (default). */
  mode?: 'auto' | 'home' | 'tmpfs';
  uid?: number;
}

export interface PipeDirChoice {
  /** Where the FIFOs are, as the daemon sees it (TEND_HOME/pipes, a folder or a link). */
  where: 'home' | 'tmpfs';
  /** Said in daemon.log: why the FIFOs are where they are. */
  note: string;
}

/**
 * Where the apps' FIFOs live. They mean nothing after a reboot, and creating one on disk costs an
 * inode: 0.5–0.8 ms of kernel time each on this machine's ext4 (three per app: 300 apps started
 * at once spent most of a second there), against about 10 µs on tmpfs. So for root and system
 * users TEND_HOME/pipes is a link to a private folder on /dev/shm (mode 0700, random name, made
 * by mkdtemp; the sticky /dev/shm stops anyone else renaming or removing it). Login users
 * (uid ≥ 1000) keep them in the home: logind's RemoveIPC deletes their files in /dev/shm at
 * logout, and a daemon restarted after that could not reach its apps' output.
 *
 * A link is used only if it points to a folder of ours that no one else can enter; otherwise it
 * is replaced with a new folder. A real folder that still holds FIFOs (apps may be running on
 * them) is kept as it is.
 */
export function preparePipeDir(pipeDir: string, opts: PipeDirOptions = {}): PipeDirChoice {
  const mode = opts.mode ?? envMode();
  const base = opts.base ?? process.env.TEND_PIPE_BASE ?? '/dev/shm';
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const current = lstatOrNull(pipeDir);
  if (current?.isSymbolicLink() === true) {
    const target = readlinkSync(pipeDir);
    if (isPrivateDir(target, uid)) return { where: 'tmpfs', note: `FIFOs in ${target}` };
    unlinkSync(pipeDir);
  } else if (current !== null && current.isDirectory() && (mode === 'home' || holdsFifos(pipeDir))) {
    return { where: 'home', note: mode === 'home' ? 'FIFOs in the home (TEND_PIPES=home)' : 'FIFOs in the home (some may be in use)' };
  }
  const why = tmpfsRefusal(mode, base, uid);
  if (why !== null) {
    ensureDir(pipeDir);
    return { where: 'home', note: `FIFOs in the home: ${why}` };
  }
  if (current?.isDirectory() === true) rmSync(pipeDir, { recursive: true, force: true });
  const target = mkdtempSync(join(base, 'tend-'));
  // A link made beside the final name and renamed over it: the name is never missing or half made.
  const temp = `${pipeDir}.new-${process.pid}`;
  rmSync(temp, { force: true });
  symlinkSync(target, temp);
  renameSync(temp, pipeDir);
  return { where: 'tmpfs', note: `FIFOs in ${target}` };
}

/**
 * After `tend kill` stopped every app: removes a memory-backed pipe folder and its link, so
 * nothing of this home is left in /dev/shm. A folder in the home stays, as before.
 */
export function releasePipeDir(pipeDir: string): void {
  const st = lstatOrNull(pipeDir);
  if (st?.isSymbolicLink() !== true) return;
  const target = readlinkSync(pipeDir);
  const uid = process.getuid?.() ?? 0;
  if (isPrivateDir(target, uid)) {
    for (const name of readdirSync(target)) rmSync(join(target, name), { force: true });
    rmdirSync(target);
  }
  unlinkSync(pipeDir);
}

function envMode(): 'auto' | 'home' | 'tmpfs' {
  const v = process.env.TEND_PIPES;
  return v === 'home' || v === 'tmpfs' ? v : 'auto';
}

function tmpfsRefusal(mode: 'auto' | 'home' | 'tmpfs', base: string, uid: number): string | null {
  if (mode === 'home') return 'TEND_PIPES=home';
  if (mode === 'auto' && uid > SYSTEM_UID_MAX)
    return `uid ${uid} is a login user (logind's RemoveIPC would delete them in ${base} at logout)`;
  try {
    const st = lstatSync(base);
    if (!st.isDirectory()) return `${base} is not a folder`;
    if (statfsSync(base).type !== TMPFS_MAGIC) return `${base} is not a tmpfs`;
    // Others may write there (1777): only a sticky folder stops them removing our folder.
    if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) return `${base} is writable by all without the sticky bit`;
  } catch (err) {
    return `${base}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  return null;
}

/** A folder (not a link) owned by `uid` that no one else can enter, with a sticky or private parent. */
function isPrivateDir(path: string, uid: number): boolean {
  const st = lstatOrNull(path);
  if (st === null || !st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return false;
  const parent = lstatOrNull(dirname(path));
  return parent !== null && ((parent.mode & 0o002) === 0 || (parent.mode & 0o1000) !== 0);
}

function holdsFifos(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => !name.startsWith('spare-'));
  } catch {
    return false;
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
