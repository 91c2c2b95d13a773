import { rmSync } from 'node:fs';
import { isAlive, killRef, processesWithEnv, processRef, type ProcessRef } from './proc.js';
import { run, runOk, type RunResult } from './spawn.js';
import { waitFor } from './timing.js';

export type ToolName = 'tend' | 'pm2';

export interface AppInfo {
  name: string;
  pid: number | null;
  status: string;
  restarts: number;
}

/**
 * One isolated instance of a process manager (its own TEND_HOME / PM2_HOME). Everything it starts
 * is tracked by pid + start time and killed in close(), even when the tool's own kill fails.
 */
export abstract class Session {
  abstract readonly tool: ToolName;
  /** Arguments of the machine-readable list command. */
  abstract readonly listArgs: readonly string[];
  private readonly tracked = new Map<number, ProcessRef>();
  private closed = false;

  constructor(
    readonly home: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly command: string,
    private readonly prefixArgs: readonly string[] = [],
  ) {}

  /** Runs the CLI (timed, spawn → exit). */
  cli(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(this.command, [...this.prefixArgs, ...args], { env: this.env, timeoutMs });
  }

  cliOk(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return runOk(this.command, [...this.prefixArgs, ...args], { env: this.env, timeoutMs });
  }

  /** Starts the daemon if needed and tracks its pid. */
  abstract ensureDaemon(): Promise<number>;
  abstract daemonPid(): Promise<number>;
  abstract startArgs(name: string, script: string, args: readonly string[]): string[];
  abstract parseList(stdout: string): AppInfo[];
  abstract logFile(name: string, stream?: 'out' | 'err'): string;
  /** The environment variable that holds this session's home (TEND_HOME / PM2_HOME). */
  protected abstract readonly homeVar: string;
  /** The tool's own "stop everything" command. */
  protected abstract killArgs(): string[];

  async start(name: string, script: string, args: readonly string[] = []): Promise<RunResult> {
    return this.cliOk(this.startArgs(name, script, args));
  }

  async list(): Promise<AppInfo[]> {
    const result = await this.cliOk(this.listArgs);
    const apps = this.parseList(result.stdout);
    for (const app of apps) if (app.pid) this.track(app.pid);
    return apps;
  }

  /** Waits until every named app is `online` with a pid; returns the list. */
  waitOnline(names: readonly string[], timeoutMs: number, intervalMs = 50): Promise<AppInfo[]> {
    const wanted = new Set(names);
    return waitFor(
      `${names.length} ${this.tool} apps online`,
      async () => {
        const apps = await this.list();
        const online = apps.filter((a) => wanted.has(a.name) && a.status === 'online' && a.pid);
        return online.length === wanted.size ? apps : undefined;
      },
      timeoutMs,
      intervalMs,
    );
  }

  /** Starts apps with up to `concurrency` CLI calls at a time (setup only, not timed). */
  async startMany(names: readonly string[], script: string, concurrency = 1): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++] as string;
        await this.start(name, script);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  track(pid: number): void {
    if (this.tracked.has(pid)) return;
    const ref = processRef(pid);
    if (ref) this.tracked.set(pid, ref);
  }

  /**
   * Stops everything: the tool's kill command, then SIGKILL to any process left that the session
   * saw or that carries its home in its environment, then removes the home.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.cli(this.killArgs(), 30_000);
    } catch {
      // fall through to killing by pid
    }
    // Anything still carrying this session's home in its environment is a leftover of it.
    for (const ref of processesWithEnv(this.homeVar, this.home)) this.tracked.set(ref.pid, ref);
    for (const ref of this.tracked.values()) {
      if (killRef(ref)) console.error(`  note: ${this.tool} left pid ${ref.pid} running after its kill command; SIGKILLed it`);
    }
    await waitFor('tracked processes to exit', () => [...this.tracked.values()].every((r) => !isAlive(r)), 5_000).catch((err: Error) =>
      console.error(`  warning: ${err.message}`),
    );
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface Tool {
  readonly name: ToolName;
  /** Null when usable, else the reason it is not. */
  check(): Promise<string | null>;
  version(): Promise<string>;
  open(): Promise<Session>;
}

/** Runs fn with a fresh session and always closes it. */
export async function withSession<T>(tool: Tool, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await tool.open();
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
