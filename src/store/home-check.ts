import { statSync, type Stats } from 'node:fs';
import { TendError } from '../errors.js';

/**
 * ssh-style ownership checks: a home, state or dump another user owns or can write could make
 * this user's daemon run that user's commands (a forged dump.json resurrected as root). Refused
 * with a one-line error saying how to fix it.
 */
export function checkHomeSafe(home: string): void {
  const st = statOrNull(home);
  if (st === null) return; // created 0700 by us
  check(st, home, 'TEND_HOME', `chmod 700 ${home}`);
}

/** The same check for a file inside the home (state.json, dump.json): owner only, not group/other-writable. */
export function checkFileSafe(path: string): void {
  const st = statOrNull(path);
  if (st === null) return;
  check(st, path, 'file', `chmod 600 ${path}`);
}

function check(st: Stats, path: string, what: string, chmod: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (st.uid !== uid) {
    throw new TendError('E_HOME_UNSAFE', `${what} ${path} is owned by uid ${st.uid}, not by you (uid ${uid}); refusing to use it`, {
      hint: `Run \`chown -R ${uid} ${path}\` if it is yours, or set TEND_HOME to a folder of your own.`,
      details: { path, owner: st.uid, uid },
    });
  }
  if ((st.mode & 0o022) !== 0) {
    throw new TendError(
      'E_HOME_UNSAFE',
      `${what} ${path} can be written by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to use it`,
      {
        hint: `Run \`${chmod}\`.`,
        details: { path, mode: st.mode & 0o777 },
      },
    );
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    // Missing (created 0700 later), or not reachable: the code that opens it reports that.
    if (['ENOENT', 'ENOTDIR', 'EACCES', 'ENAMETOOLONG', 'ELOOP'].includes((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}
