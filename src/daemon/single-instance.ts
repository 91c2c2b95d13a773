import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { TendError } from '../errors.js';
import { readStat } from '../metrics/procfs.js';
import type { TendPaths } from '../store/paths.js';

export interface InstanceLock {
  /** Things the user should hear about (stale files cleaned), shown by the launching CLI. */
  notices: string[];
  release(): void;
}

/**
 * One daemon per TEND_HOME. The lock is a Linux abstract-namespace socket named after the home:
 * binding it is atomic and the kernel releases it when the daemon dies, however it dies, so a
 * lock can never be stale. With the lock held, any pid file or socket file left behind belongs
 * to a dead daemon and is removed, with a notice.
 */
export async function acquireInstanceLock(paths: TendPaths): Promise<InstanceLock> {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new TendError('E_INTERNAL', `a tend daemon is already running for ${paths.home}`, { details: { alreadyRunning: true, pid: readPid(paths) } }));
      } else reject(err);
    });
    server.listen(paths.lockName, () => resolve());
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
  writeFileSync(paths.pidFile, `${process.pid} ${self?.startTicks ?? 0}\n`, { mode: 0o600 });
  return {
    notices,
    release: () => {
      try {
        if (readPid(paths) === process.pid) unlinkSync(paths.pidFile);
      } catch { /* already gone */ }
      server.close();
    },
  };
}

function readPid(paths: TendPaths): number | null {
  try {
    const pid = Number(readFileSync(paths.pidFile, 'utf8').split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
