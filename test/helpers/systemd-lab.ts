import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tend.js';

/** The throw-away systemd the boot tests run in (the repository's own script). */
export const LAB_SCRIPT = join(ROOT, 'test', 'lab', 'systemd-lab.sh');

/** Where the script keeps each lab's state (overlay, pid, boot log). */
const LAB_STATE = '/tmp/tend-systemd-lab';

/** PATH inside the lab: the host image's own, where /usr/bin/node lives. */
export const LAB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why lab tests cannot run here (printed with the skip), or null when they can. */
export function labSkipReason(): string | null {
  if (process.platform !== 'linux') return 'systemd-lab needs Linux';
  if (process.getuid?.() !== 0) return 'systemd-lab needs root (it creates namespaces and mounts)';
  if (!existsSync('/lib/systemd/systemd')) return 'systemd is not installed on this host (/lib/systemd/systemd)';
  const cg2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].some((p) => existsSync(join(p, 'cgroup.controllers')));
  if (!cg2) return 'no cgroup2 hierarchy mounted';
  for (const tool of ['unshare', 'nsenter', 'setpriv']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} (util-linux) is not installed`;
    }
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'overlayfs is not available';
  if (!existsSync('/usr/bin/node')) return 'the lab runs the host image, which has no /usr/bin/node';
  try {
    accessSync(join(ROOT, 'bin', 'tend'), constants.X_OK);
  } catch {
    return 'bin/tend is not executable';
  }
  // The lab's systemd gets its own /tmp and /run, and systemd-tmpfiles empties /tmp at boot: a
  // checkout there cannot be bound into the lab without being wiped. Say so instead of failing later.
  if (/^\/(tmp|run)(\/|$)/.test(ROOT))
    return `the checkout is under ${ROOT.split('/')[1] === 'tmp' ? '/tmp' : '/run'}, which the lab replaces with its own; clone the repository elsewhere (e.g. /var/tmp or your home) to run the boot tests`;
  return null;
}

export interface LabResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One lab: a systemd booted in namespaces over a copy-on-write view of /. The repo and a work
 * dir are bind-mounted at the same paths inside. The work dir lives under /var/tmp because the
 * lab mounts its own /tmp and /run over anything bound there.
 */
export class SystemdLab {
  readonly work: string;
  private running = false;

  // Named, not created: a suite whose tool is missing must leave nothing behind.
  constructor(readonly name: string) {
    this.work = `/var/tmp/tend-lab-${name}`;
  }

  private script(args: string[], timeoutMs = 60_000): Promise<LabResult> {
    const env = { ...process.env, LAB_NAME: this.name, LAB_STATE, LAB_BIND: `${ROOT.replace(/\/$/, '')} ${this.work}` };
    return new Promise((resolve) => {
      execFile('bash', [LAB_SCRIPT, ...args], { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Boots the lab; returns the seconds the script measured. */
  async start(): Promise<number> {
    mkdirSync(this.work, { recursive: true, mode: 0o755 });
    const r = await this.script(['start']);
    if (r.code !== 0) throw new Error(`systemd-lab start failed: ${r.stderr}`);
    this.running = true;
    return Number(/in ([\d.]+)s/.exec(r.stderr)?.[1] ?? NaN);
  }

  /** Poweroff (units are stopped as at a real shutdown) and boot again on the same overlay. */
  async reboot(): Promise<void> {
    const r = await this.script(['reboot'], 120_000);
    if (r.code !== 0) throw new Error(`systemd-lab reboot failed: ${r.stderr}`);
  }

  /** Runs a command inside (as root, all namespaces). */
  exec(args: string[], timeoutMs = 60_000): Promise<LabResult> {
    return this.script(['exec', '--', ...args], timeoutMs);
  }

  /** Runs a command inside that must succeed; its stdout. */
  async ok(args: string[], timeoutMs = 60_000): Promise<string> {
    const r = await this.exec(args, timeoutMs);
    if (r.code !== 0) throw new Error(`in lab: ${args.join(' ')} → exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** tend inside the lab, as root or as `user`, with an explicit, minimal environment. */
  tend(args: string[], opts: { user?: string; home?: string; env?: Record<string, string> } = {}): Promise<LabResult> {
    const vars = { PATH: LAB_PATH, ...(opts.home !== undefined ? { TEND_HOME: opts.home } : {}), ...opts.env };
    const envArgs = ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
    const bin = join(ROOT, 'bin', 'tend');
    if (opts.user === undefined) return this.exec([...envArgs, 'HOME=/root', bin, ...args]);
    return this.exec([
      'runuser',
      '-u',
      opts.user,
      '--',
      ...envArgs,
      `HOME=/home/${opts.user}`,
      `USER=${opts.user}`,
      `LOGNAME=${opts.user}`,
      bin,
      ...args,
    ]);
  }

  /** GET http://127.0.0.1:port/ inside the lab's network namespace; the body, or null. */
  async http(port: number): Promise<string | null> {
    const r = await this.exec(['curl', '-fsS', '--max-time', '2', `http://127.0.0.1:${port}/`]);
    return r.code === 0 ? r.stdout : null;
  }

  /** Always safe to call (after() runs it even when start failed half-way). */
  async stop(): Promise<void> {
    const r = await this.script(['stop'], 60_000);
    this.running = false;
    // What stop leaves in the lab's state dir (boot.log) is only worth keeping on trouble.
    if (r.code === 0 && !r.stderr.includes('WARNING')) rmSync(join(LAB_STATE, this.name), { recursive: true, force: true });
    rmSync(this.work, { recursive: true, force: true });
  }

  get isRunning(): boolean {
    return this.running;
  }
}

/** A lab name unique to this test process, so test files can run labs side by side. */
export function labName(what: string): string {
  return `tend-${what}-${process.pid}`;
}
