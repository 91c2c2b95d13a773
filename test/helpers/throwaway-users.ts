import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { needs, type Requirement } from './needs.js';
import type { CliResult } from './tend.js';

/** Runs a command as the test (root), never failing the promise: the result says how it ended. */
export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = '/'): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

const hasUseradd = ['useradd', 'userdel', 'groupadd', 'groupdel'].every((c) =>
  ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => existsSync(join(d, c))),
);

/** Tests that make users: they need root and useradd (under CI=true their absence fails them). */
export const asRoot: Requirement = needs(
  process.geteuid?.() !== 0
    ? 'needs root (a root tend runs apps as other users)'
    : hasUseradd
      ? null
      : 'useradd/groupadd are not installed',
);

/** Throw-away users sharing one supplementary group, made with useradd/groupadd and removed after. */
export class ThrowawayUsers {
  readonly users: string[];
  readonly group: string;

  constructor(count: number) {
    const tag = `t${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    this.users = Array.from({ length: count }, (_, i) => `${tag}${String.fromCharCode(97 + i)}`);
    this.group = `${tag}g`;
  }

  async create(): Promise<void> {
    assert.equal((await sh('groupadd', [this.group])).code, 0, `groupadd ${this.group}`);
    for (const u of this.users)
      assert.equal((await sh('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', '-G', this.group, u])).code, 0, `useradd ${u}`);
  }

  async remove(): Promise<void> {
    for (const u of this.users) await sh('userdel', [u]);
    await sh('groupdel', [this.group]);
  }

  async id(user: string, flag: '-u' | '-g'): Promise<number> {
    return Number((await sh('id', [flag, user])).stdout.trim());
  }

  async groupId(): Promise<number> {
    return Number((await sh('getent', ['group', this.group])).stdout.split(':')[2]);
  }

  /** Checks that `pid` runs as `user` with its group and the shared supplementary group. */
  async assertRunsAs(pid: number, user: string, what: string): Promise<void> {
    const uid = await this.id(user, '-u');
    const gid = await this.id(user, '-g');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), `${what}: uid`);
    assert.match(status, new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'), `${what}: gid`);
    const groups = (/^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).map(Number);
    const shared = await this.groupId();
    assert.ok(groups.includes(shared), `${what}: supplementary group ${shared} in ${groups.join(',')}`);
  }

  /** Whether `user` can send signal 0 to `pid`. */
  async canSignal(user: string, pid: number): Promise<boolean> {
    const uid = await this.id(user, '-u');
    const gid = await this.id(user, '-g');
    const r = await sh('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', 'kill', '-0', String(pid)]);
    return r.code === 0;
  }
}
