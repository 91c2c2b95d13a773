import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every path under TEND_HOME. No other module builds paths inside the home. */
export interface TendPaths {
  home: string;
  socket: string;
  pidFile: string;
  daemonLog: string;
  /** Runtime state the next daemon re-adopts from (specs, pids, start times). */
  stateFile: string;
  /** The published process list (`tend list` reads it while the daemon lives; see status-snapshot). */
  statusFile: string;
  /** What `tend save` wrote; never touched by a daemon shutdown. */
  dumpFile: string;
  dumpBackup: string;
  logDir: string;
  /** Per-app FIFOs that carry stdio across daemon restarts. */
  pipeDir: string;
  /** Holders (DESIGN.md §8): per-app control sockets, spec files and holder logs. */
  holderDir: string;
  /** Abstract-namespace socket name used as the one-daemon-per-home lock (released by the kernel on death). */
  lockName: string;
}

/**
 * A 64-bit FNV-1a hash as hex: names the home's lock without loading node:crypto (which costs
 * every CLI call milliseconds and the daemon megabytes). Not a security boundary: the lock only
 * has to differ between homes.
 */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** TEND_HOME, or ~/.tend. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TEND_HOME;
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.tend'));
}

export function tendPaths(home: string): TendPaths {
  const digest = fnv1a64(home);
  return {
    home,
    socket: join(home, 'daemon.sock'),
    pidFile: join(home, 'daemon.pid'),
    daemonLog: join(home, 'daemon.log'),
    stateFile: join(home, 'state.json'),
    statusFile: join(home, 'status.json'),
    dumpFile: join(home, 'dump.json'),
    dumpBackup: join(home, 'dump.json.bak'),
    logDir: join(home, 'logs'),
    pipeDir: join(home, 'pipes'),
    holderDir: join(home, 'holders'),
    lockName: `\0tend-daemon-${digest}`,
  };
}

/** Default log file of an app's stream. */
export function defaultLogFile(paths: TendPaths, app: string, stream: 'out' | 'err'): string {
  return join(paths.logDir, `${app}-${stream}.log`);
}

/** The FIFO for one stdio stream of one app (by id: names may change, ids do not). */
export function fifoPath(paths: TendPaths, id: number, stream: 'in' | 'out' | 'err'): string {
  return join(paths.pipeDir, `${id}.${stream}`);
}

/** A holder's files, by app id: `<id>.sock` (control), `<id>.json` (spec), `<id>.log` (its own log). */
export function holderFiles(paths: TendPaths, id: number): { socket: string; spec: string; log: string } {
  const base = join(paths.holderDir, String(id));
  return { socket: `${base}.sock`, spec: `${base}.json`, log: `${base}.log` };
}
