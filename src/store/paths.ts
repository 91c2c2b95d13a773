import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { TendError } from '../errors.js';

/** sun_path holds 108 bytes including the final NUL: a longer socket path cannot be bound. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Every path under TEND_HOME. No other module builds paths inside the home. */
export interface TendPaths {
  home: string;
  socket: string;
  pidFile: string;
  daemonLog: string;
  /** Runtime state the next daemon re-adopts from (specs, pids, start times). */
  stateFile: string;
  /** The previous good state.json (a hard link kept at each write). */
  stateBackup: string;
  /**
   * The journal of what state.json does not hold yet (operations asked for, spawns, stops),
   * written before acting, in space reserved ahead (see IntentLog).
   */
  intentFile: string;
  /** The journal of tend versions before the reserved one (JSON lines), read once on restore. */
  legacyIntentFile: string;
  /** A random name for the instance lock, readable only through the 0700 home. */
  lockIdFile: string;
  /** The published process list (`tend list` reads it while the daemon lives; see status-snapshot). */
  statusFile: string;
  /** Scheduled jobs' last run and next time, so a restarted daemon shows them and keeps the schedule's phase. */
  jobsFile: string;
  /** What `tend save` wrote; never touched by a daemon shutdown. */
  dumpFile: string;
  dumpBackup: string;
  logDir: string;
  /** Per-app FIFOs that carry stdio across daemon restarts. */
  pipeDir: string;
  /** Where an output spool moves when the FIFOs' filesystem has no room for it (on the home's filesystem). */
  spoolDir: string;
  /** The log write journal (src/logs/log-journal.ts), beside the FIFOs and spools it is about. */
  logJournal: string;
  /** Holders (DESIGN.md §8): per-app control sockets, spec files and holder logs. */
  holderDir: string;
  /** PTY apps' attach sockets (`<id>.sock`; the directory is 0700, the sockets 0600). */
  ptyDir: string;
  /** Where `tend web` serves (a restarted daemon serves there again), and its token (0600). */
  webConfig: string;
  webToken: string;
  /** Tags every run token of this home, so a new daemon finds this home's processes in /proc. */
  homeTag: string;
}

/**
 * A 64-bit FNV-1a hash as hex: tags a home's run tokens without loading node:crypto (which costs
 * every CLI call milliseconds). Not a security boundary: it only has to differ between homes.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** The home when TEND_HOME is not set, for the user whose home folder is `userHome`. */
export function defaultHome(userHome: string): string {
  return join(userHome, '.tend');
}

/**
 * TEND_HOME, or ~/.tend. A relative TEND_HOME is refused: it would mean one daemon per working
 * directory. A home whose socket path would not fit a Unix socket address is refused up front.
 */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TEND_HOME;
  if (fromEnv !== undefined && fromEnv !== '' && !isAbsolute(fromEnv)) {
    throw new TendError('E_HOME_INVALID', `TEND_HOME must be an absolute path, got \`${fromEnv}\``, {
      hint: `Use an absolute path, e.g. TEND_HOME="$PWD/${fromEnv}" (a relative one would give one daemon per working directory).`,
    });
  }
  const home = resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : defaultHome(homedir()));
  const socketBytes = Buffer.byteLength(join(home, 'daemon.sock'));
  if (socketBytes > MAX_SOCKET_PATH_BYTES) {
    throw new TendError(
      'E_HOME_INVALID',
      `TEND_HOME is too long: its socket path would be ${socketBytes} bytes, and Unix sockets allow ${MAX_SOCKET_PATH_BYTES}`,
      {
        hint: `Use a TEND_HOME of at most ${MAX_SOCKET_PATH_BYTES - 'daemon.sock'.length - 1} characters (e.g. a symlink with a short path).`,
      },
    );
  }
  return home;
}

export function tendPaths(home: string): TendPaths {
  const digest = fnv1a64(home);
  return {
    home,
    socket: join(home, 'daemon.sock'),
    pidFile: join(home, 'daemon.pid'),
    daemonLog: join(home, 'daemon.log'),
    stateFile: join(home, 'state.json'),
    stateBackup: join(home, 'state.json.bak'),
    intentFile: join(home, 'journal'),
    legacyIntentFile: join(home, 'intents.jsonl'),
    lockIdFile: join(home, 'lock-id'),
    statusFile: join(home, 'status.json'),
    jobsFile: join(home, 'jobs.json'),
    dumpFile: join(home, 'dump.json'),
    dumpBackup: join(home, 'dump.json.bak'),
    logDir: join(home, 'logs'),
    pipeDir: join(home, 'pipes'),
    spoolDir: join(home, 'spools'),
    logJournal: join(home, 'pipes', 'log-journal'),
    holderDir: join(home, 'holders'),
    ptyDir: join(home, 'pty'),
    webConfig: join(home, 'web.json'),
    webToken: join(home, 'web.token'),
    homeTag: digest.slice(0, 12),
  };
}

/**
 * The app name as it appears in file names, as PM2 writes it: every character but letters,
 * digits, `.` and `-` becomes `-` (`my_api` → `my-api`, `Custom Metrics` → `Custom-Metrics`).
 */
export function fileSafeName(app: string): string {
  return app.replace(/[^A-Za-z0-9.-]/g, '-');
}

/** Default log file of an app's stream, named as PM2 names them: `<name>-out.log`, `<name>-error.log`. */
export function defaultLogFile(paths: TendPaths, app: string, stream: 'out' | 'err'): string {
  return join(paths.logDir, `${fileSafeName(app)}-${stream === 'err' ? 'error' : 'out'}.log`);
}

/** The FIFO for one stdio stream of one app (by id: names may change, ids do not). */
export function fifoPath(paths: TendPaths, id: number, stream: 'in' | 'out' | 'err'): string {
  return join(paths.pipeDir, `${id}.${stream}`);
}

/** A PTY app's attach socket, by app id. */
export function ptySocketPath(paths: TendPaths, id: number): string {
  return join(paths.ptyDir, `${id}.sock`);
}

/**
 * The folder of an app's holder or PTY holder when the app runs as another user (`uid`/`gid`):
 * `holders/<id>.d`, owned by that user, mode 0700. The home stays closed to the user, so such a
 * holder runs in this folder and names its files relative to it (`OWN_DIR_FILES`); the daemon
 * reaches them through `holderFiles(...).socket` and `ptySocketPath`, symlinks into it.
 */
export function ownRunDir(paths: TendPaths, id: number): string {
  return join(paths.holderDir, `${id}.d`);
}

/** The names inside `ownRunDir`: the holder's spec (a hard link), control socket, its log, the attach socket. */
export const OWN_DIR_FILES = { spec: 'spec.json', socket: 'holder.sock', log: 'holder.log', attach: 'attach.sock' } as const;

/** A holder's files, by app id: `<id>.sock` (control), `<id>.json` (spec), `<id>.log` (its own log). */
export function holderFiles(paths: TendPaths, id: number): { socket: string; spec: string; log: string } {
  const base = join(paths.holderDir, String(id));
  return { socket: `${base}.sock`, spec: `${base}.json`, log: `${base}.log` };
}
