import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'tend');
export const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'apps', name);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Polls a condition until it holds (never a bare sleep); throws with `what` on timeout. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A free loopback port (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * True while any thread of the process still runs. A process killed by a signal shows its leader
 * as a zombie as soon as the leader thread is gone, while its other threads may still be exiting
 * and holding its files (a daemon's listening socket then still takes a connection and resets it).
 */
export function isAlive(pid: number): boolean {
  if (taskRuns(`/proc/${pid}/stat`)) return true;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => tid !== String(pid) && taskRuns(`/proc/${pid}/task/${tid}/stat`));
}

function taskRuns(statFile: string): boolean {
  try {
    const stat = readFileSync(statFile, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * The test runner's environment without what would tie a test daemon to the runner's own service
 * manager or session: under a systemd-run runner (INVOCATION_ID set) `tend daemon restart` would
 * otherwise restart the runner's unit, and a NOTIFY_SOCKET would reach the runner's manager.
 */
const RUNNER_ONLY =
  /^(INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|LISTEN_(PID|FDS|FDNAMES)|MANAGERPID|SYSTEMD_EXEC_PID|WATCHDOG_(PID|USEC)|TMUX|TMUX_PANE|STY|SSH_\w+|NODE_OPTIONS|NODE_EXTRA_CA_CERTS|PM2_HOME)$/;

export function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !RUNNER_ONLY.test(k)));
}

/** A private TEND_HOME with a CLI bound to it; `cleanup` stops everything it started, by pid. */
export class TendHome {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  private pids = new Set<number>();

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    // A given TEND_HOME (a tmpfs mount, a path of a chosen length) is used as it is.
    this.home = extraEnv.TEND_HOME ?? mkdtempSync(join(tmpdir(), 'tend-test-'));
    this.env = { ...cleanEnv(process.env), TEND_HOME: this.home, NO_COLOR: '1', ...extraEnv };
  }

  run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: opts.env ?? this.env, cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 30_000 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Runs a command that must succeed and returns its parsed --json output. */
  async json<T = unknown>(args: string[]): Promise<T> {
    const dash = args.indexOf('--');
    const withJson = dash === -1 ? [...args, '--json'] : [...args.slice(0, dash), '--json', ...args.slice(dash)];
    const r = await this.run(withJson);
    if (r.code !== 0) throw new Error(`tend ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    const value = JSON.parse(r.stdout) as T;
    this.remember(value);
    return value;
  }

  async list(): Promise<ProcessJson[]> {
    return this.json<ProcessJson[]>(['list']);
  }

  async app(name: string): Promise<ProcessJson> {
    const found = (await this.list()).find((p) => p.name === name);
    if (found === undefined) throw new Error(`no app ${name}`);
    return found;
  }

  daemonPid(): number | null {
    try {
      return Number(readFileSync(join(this.home, 'daemon.pid'), 'utf8').split(' ')[0]);
    } catch {
      return null;
    }
  }

  /** Records pids seen in results so cleanup can end them even if a test fails half-way. */
  remember(value: unknown): void {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const pid = (item as { pid?: unknown } | null)?.pid;
      if (typeof pid === 'number') this.pids.add(pid);
    }
  }

  track(pid: number): void {
    this.pids.add(pid);
  }

  async cleanup(): Promise<void> {
    const daemon = this.daemonPid();
    if (daemon !== null) this.pids.add(daemon);
    await this.run(['kill'], { timeoutMs: 20_000 });
    for (const pid of this.pids) {
      if (isAlive(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* not a group leader */
        }
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface ProcessJson {
  id: number;
  name: string;
  pid: number | null;
  status: string;
  restarts: number;
  uptimeMs: number;
  startedAt: number | null;
  adopted: boolean;
  lastExit: { code: number | null; signal: string | null; at: number; forced: boolean; unknown: boolean } | null;
  reason: string | null;
  nextRestartAt: number | null;
}

/** Spawns a long-running helper process (e.g. tmux) and remembers it. */
export function spawnTracked(home: TendHome, cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const child = spawn(cmd, args, { env: env ?? home.env, stdio: 'ignore' });
  if (child.pid !== undefined) home.track(child.pid);
  return child;
}

/** GET http://127.0.0.1:port/ → body, or undefined when nothing answers. */
export async function httpGet(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return await res.text();
  } catch {
    return undefined;
  }
}
