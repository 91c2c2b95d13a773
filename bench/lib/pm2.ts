import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCache } from './paths.js';
import { cleanEnv } from './proc.js';
import { Session, type AppInfo, type Tool } from './session.js';
import { runOk } from './spawn.js';
import { waitFor } from './timing.js';

export const PM2_VERSION = '7.0.4';

function pm2Dir(): string {
  return join(benchCache(), `pm2-${PM2_VERSION}`);
}

function pm2Bin(): string {
  return join(pm2Dir(), 'node_modules', 'pm2', 'bin', 'pm2');
}

/** Installs the pinned PM2 into the bench cache (outside the repo) when it is not there yet. */
export async function ensurePm2(): Promise<void> {
  if (existsSync(pm2Bin())) return;
  console.log(`installing pm2@${PM2_VERSION} into ${pm2Dir()} (first run only)…`);
  // npm gets our environment untouched (it may need NODE_EXTRA_CA_CERTS to reach the registry).
  await runOk('npm', ['install', '--prefix', pm2Dir(), `pm2@${PM2_VERSION}`, '--no-audit', '--no-fund'], {
    env: process.env,
    timeoutMs: 300_000,
  });
  if (!existsSync(pm2Bin())) throw new Error(`npm install finished but ${pm2Bin()} is missing`);
}

interface Pm2Proc {
  name?: string;
  pid?: number;
  pm2_env?: { status?: string; restart_time?: number };
}

class Pm2Session extends Session {
  readonly tool = 'pm2' as const;
  protected readonly homeVar = 'PM2_HOME';
  readonly listArgs = ['jlist'] as const;

  async ensureDaemon(): Promise<number> {
    await this.cliOk(['ping']);
    return this.daemonPid();
  }

  async daemonPid(): Promise<number> {
    const file = join(this.home, 'pm2.pid');
    const pid = await waitFor(
      'pm2.pid',
      () => {
        const n = Number(readFileSync(file, 'utf8').trim());
        return n > 0 ? n : undefined;
      },
      10_000,
    );
    this.track(pid);
    return pid;
  }

  startArgs(name: string, script: string, args: readonly string[]): string[] {
    return ['start', script, '--name', name, ...(args.length ? ['--', ...args] : [])];
  }

  parseList(stdout: string): AppInfo[] {
    // A command that had to spawn the daemon first prints "[PM2] …" lines before the JSON.
    const json = stdout.split('\n').find((line) => /^\[\s*(\{|\])/.test(line));
    if (json === undefined) throw new Error(`no JSON array in pm2 jlist output: ${stdout.slice(0, 200)}`);
    const procs = JSON.parse(json) as Pm2Proc[];
    return procs.map((p) => ({
      name: p.name ?? '',
      pid: p.pid ? p.pid : null,
      status: p.pm2_env?.status ?? 'unknown',
      restarts: p.pm2_env?.restart_time ?? 0,
    }));
  }

  logFile(name: string, stream: 'out' | 'err' = 'out'): string {
    return join(this.home, 'logs', `${name}-${stream}.log`);
  }

  protected killArgs(): string[] {
    return ['kill'];
  }
}

export const pm2: Tool = {
  name: 'pm2',
  async check() {
    try {
      await ensurePm2();
      return null;
    } catch (err) {
      return `PM2 unavailable: ${(err as Error).message}`;
    }
  },
  async version() {
    const pkg = JSON.parse(readFileSync(join(pm2Dir(), 'node_modules', 'pm2', 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  },
  async open() {
    const home = mkdtempSync(join(tmpdir(), 'tend-bench-pm2-'));
    writeFileSync(join(home, 'touch'), '');
    const env = cleanEnv({ PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: '1' });
    return new Pm2Session(home, env, pm2Bin());
  },
};
