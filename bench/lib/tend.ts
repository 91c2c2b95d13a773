import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, tendBin } from './paths.js';
import { cleanEnv } from './proc.js';
import { Session, type AppInfo, type Tool } from './session.js';
import { run } from './spawn.js';

interface TendProc {
  name?: string;
  pid?: number | null;
  status?: string;
  restarts?: number;
}

class TendSession extends Session {
  readonly tool = 'tend' as const;
  protected readonly homeVar = 'TEND_HOME';
  readonly listArgs = ['list', '--json'] as const;

  async ensureDaemon(): Promise<number> {
    return this.daemonPid();
  }

  /** `tend ping --json` ({pid,...}); falls back to the first field of $TEND_HOME/daemon.pid. */
  async daemonPid(): Promise<number> {
    const result = await this.cliOk(['ping', '--json']);
    let pid = 0;
    try {
      pid = Number((JSON.parse(result.stdout) as { pid?: number }).pid ?? 0);
    } catch {
      // not JSON: use the pid file
    }
    if (!pid) {
      const first = readFileSync(join(this.home, 'daemon.pid'), 'utf8').trim().split(/\s+/)[0];
      pid = Number(first);
    }
    if (!(pid > 0)) throw new Error(`cannot find tend's daemon pid (ping printed: ${result.stdout.trim()})`);
    this.track(pid);
    return pid;
  }

  startArgs(name: string, script: string, args: readonly string[]): string[] {
    return ['start', script, '--name', name, ...(args.length ? ['--', ...args] : [])];
  }

  parseList(stdout: string): AppInfo[] {
    const procs = JSON.parse(stdout) as TendProc[];
    return procs.map((p) => ({
      name: p.name ?? '',
      pid: p.pid ? p.pid : null,
      status: p.status ?? 'unknown',
      restarts: p.restarts ?? 0,
    }));
  }

  logFile(name: string, stream: 'out' | 'err' = 'out'): string {
    return join(this.home, 'logs', `${name}-${stream}.log`);
  }

  protected killArgs(): string[] {
    return ['kill'];
  }
}

export const tend: Tool = {
  name: 'tend',
  async check() {
    if (!existsSync(tendBin)) return `tend unavailable: ${tendBin} does not exist (run npm run build?)`;
    const home = mkdtempSync(join(tmpdir(), 'tend-bench-check-'));
    const session = new TendSession(home, cleanEnv({ TEND_HOME: home }), tendBin);
    try {
      const result = await session.cli(['ping', '--json'], 20_000);
      if (result.code !== 0) {
        const why = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
        return `tend unavailable: \`tend ping --json\` exited ${result.code ?? result.signal}: ${why}`;
      }
      return null;
    } catch (err) {
      return `tend unavailable: ${(err as Error).message}`;
    } finally {
      await session.close();
    }
  },
  async version() {
    const result = await run(tendBin, ['--version'], { env: cleanEnv(), timeoutMs: 10_000 }).catch(() => null);
    const fromCli = result?.code === 0 ? result.stdout.trim() : '';
    if (fromCli) return fromCli;
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    return `${pkg.version} (package.json)`;
  },
  async open() {
    const home = mkdtempSync(join(tmpdir(), 'tend-bench-tend-'));
    return new TendSession(home, cleanEnv({ TEND_HOME: home }), tendBin);
  },
};
