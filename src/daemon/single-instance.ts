import { existsSync, linkSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { TendError } from '../errors.js';
import { kernelRandom } from '../lib/kernel-random.js';
import { readStat } from '../procfs/procfs.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { checkFileSafe } from '../store/home-check.js';
import type { TendPaths } from '../store/paths.js';

export interface InstanceLock {
  /** Things the user should hear about (stale files cleaned), shown by the launching CLI. */
  notices: string[];
  /** Why the pid file could not be written (a full disk), or null. */
  pidFileError: string | null;
  /** Writes the pid file again; true once it worked. */
  retryPidFile(): boolean;
  release(): void;
}

/**
 * One daemon per TEND_HOME. The lock is a Linux abstract-namespace socket: binding it is atomic
 * and the kernel releases it when the daemon dies, however it dies, so a lock can never be stale.
 * Abstract names have no permissions, so the name is a 128-bit random id kept in the 0700 home
 * (TEND_HOME/lock-id, 0600): another user cannot read it, so cannot bind it first and block this
 * home's daemon. With the lock held, any pid file or socket file left behind belongs to a dead
 * daemon and is removed, with a notice.
 */
export async function acquireInstanceLock(paths: TendPaths): Promise<InstanceLock> {
  const lockName = `\0tend-daemon-${lockId(paths)}`;
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new TendError('E_LOCKED', `a tend daemon is already running for ${paths.home}`, {
            details: { alreadyRunning: true, pid: readPid(paths) },
          }),
        );
      } else reject(err);
    });
    server.listen(lockName, () => resolve());
  });
  server.unref();
  const notices: string[] = [];
  const stalePid = readPid(paths);
  if (stalePid !== null) notices.push(`removed a stale pid file left by a dead daemon (pid ${stalePid})`);
  if (existsSync(paths.socket)) {
    unlinkSync(paths.socket);
    notices.push(`removed a stale socket left by a dead daemon: ${paths.socket}`);
  }
  const self = readStat(process.pid);
  const writePid = (): string | null => {
    try {
      writeFileAtomic(paths.pidFile, `${process.pid} ${self?.startTicks ?? 0}\n`, 0o600, false);
      return null;
    } catch (err) {
      // A full disk must not keep a daemon from taking over running apps; without a pid file,
      // `tend list` simply asks over the socket.
      try {
        unlinkSync(paths.pidFile);
      } catch {
        /* none */
      }
      return (err as Error).message;
    }
  };
  const pidFileError = writePid();
  return {
    notices,
    pidFileError,
    retryPidFile: () => writePid() === null,
    release: () => {
      try {
        if (readPid(paths) === process.pid) unlinkSync(paths.pidFile);
      } catch {
        /* already gone */
      }
      server.close();
    },
  };
}

/** The home's lock id: created once (link(2) makes the first writer win a race), then read. */
function lockId(paths: TendPaths): string {
  const read = (): string | null => {
    try {
      checkFileSafe(paths.lockIdFile);
      const text = readFileSync(paths.lockIdFile, 'utf8').trim();
      return /^[0-9a-f]{32}$/.test(text) ? text : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
  const existing = read();
  if (existing !== null) return existing;
  const tmp = `${paths.lockIdFile}.${process.pid}`;
  writeFileAtomic(tmp, `${kernelRandom(16).toString('hex')}\n`, 0o600, true);
  try {
    try {
      linkSync(tmp, paths.lockIdFile);
    } catch (err) {
      // EEXIST: another daemon won the race (its id is used); a damaged file is replaced.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (read() === null) writeFileAtomic(paths.lockIdFile, readFileSync(tmp), 0o600, true);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
  }
  const id = read();
  if (id === null)
    throw new TendError('E_DAEMON_START_FAILED', `cannot read the lock id in ${paths.lockIdFile}`, {
      hint: `Remove ${paths.lockIdFile} and try again.`,
    });
  return id;
}

function readPid(paths: TendPaths): number | null {
  try {
    const pid = Number(readFileSync(paths.pidFile, 'utf8').split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
