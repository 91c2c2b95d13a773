import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TendError } from '../errors.js';
import { ensureDir } from '../lib/ensure-dir.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { BootTarget } from './boot-target.js';

/** One thing startup/unstartup did (or, with --dry-run, would do): printed as is, and in --json. */
export interface Step {
  action: 'write' | 'remove' | 'link' | 'run' | 'handover';
  what: string;
  ok: boolean;
  /** Why it failed, or what it returned. */
  detail?: string;
}

/** Records every change so the command can print exactly what it did; --dry-run only records. */
export class BootChanges {
  readonly steps: Step[] = [];
  readonly notices: string[] = [];

  constructor(
    private readonly target: BootTarget,
    readonly dryRun: boolean,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  write(file: string, text: string, mode: number): void {
    if (!this.dryRun) {
      ensureDir(dirname(file), 0o755);
      writeFileAtomic(file, text, mode, true);
    }
    this.steps.push({ action: 'write', what: file, ok: true });
  }

  remove(file: string): void {
    if (!exists(file)) return;
    if (!this.dryRun) rmSync(file, { force: true });
    this.steps.push({ action: 'remove', what: file, ok: true });
  }

  link(file: string, to: string): void {
    if (!this.dryRun) {
      ensureDir(dirname(file), 0o755);
      rmSync(file, { force: true });
      symlinkSync(to, file);
    }
    this.steps.push({ action: 'link', what: `${file} → ${to}`, ok: true });
  }

  /** Runs a command; `mayFail` commands are recorded but do not stop the caller. */
  run(argv: string[], mayFail = false): { ok: boolean; stdout: string } {
    const what = argv.join(' ');
    if (this.dryRun) {
      this.steps.push({ action: 'run', what, ok: true });
      return { ok: true, stdout: '' };
    }
    const r = spawnSync(argv[0] as string, argv.slice(1), { env: this.commandEnv(), encoding: 'utf8', timeout: 120_000 });
    const ok = r.status === 0;
    const detail = (r.error?.message ?? r.stderr.trim().split('\n').filter(Boolean).pop()) || undefined;
    this.steps.push(ok || detail === undefined ? { action: 'run', what, ok } : { action: 'run', what, ok, detail });
    if (!ok && !mayFail) {
      throw new TendError('E_INTERNAL', `\`${what}\` failed${detail !== undefined ? `: ${detail}` : ` (exit ${r.status ?? r.signal})`}`, {
        hint: `See \`journalctl ${this.target.mode === 'rootless' ? '--user ' : ''}-u ${this.target.unitName}\`; the steps done so far are listed above.`,
        details: { steps: this.steps },
      });
    }
    return { ok, stdout: r.stdout ?? '' };
  }

  /** A read-only question (not a change, so not recorded); its trimmed stdout, '' on failure. */
  query(argv: string[]): string {
    const r = spawnSync(argv[0] as string, argv.slice(1), { env: this.commandEnv(), encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 ? r.stdout.trim() : '';
  }

  /** `systemctl` or `systemctl --user`, as the target needs. */
  systemctl(...args: string[]): string[] {
    return this.target.mode === 'rootless' ? ['systemctl', '--user', ...args] : ['systemctl', ...args];
  }

  /** `systemctl --user` finds its manager through XDG_RUNTIME_DIR, which su/ssh may not set. */
  private commandEnv(): NodeJS.ProcessEnv {
    return this.target.xdgRuntimeDir === null ? this.env : { ...this.env, XDG_RUNTIME_DIR: this.target.xdgRuntimeDir };
  }
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** logind starts a user's manager at boot only for users with lingering on (this file). */
export function hasLinger(user: string): boolean {
  return existsSync(join('/var/lib/systemd/linger', user));
}

/** The user manager answers on this socket once it runs. */
export function userManagerSocket(target: BootTarget): string | null {
  return target.xdgRuntimeDir === null ? null : join(target.xdgRuntimeDir, 'systemd', 'private');
}

/** Waits (bounded) for a path to appear: logind starts the user manager asynchronously. */
export async function waitForPath(path: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Where `systemctl enable` puts the unit's link (written by hand when no manager answers). */
export function wantsLink(target: BootTarget): string {
  const wants = target.mode === 'rootless' ? 'default.target.wants' : 'multi-user.target.wants';
  return join(dirname(target.unitFile), wants, target.unitName);
}
