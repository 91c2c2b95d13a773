import { ownCgroup } from '../procfs/system.js';

export interface SystemdUnit {
  name: string;
  scope: 'system' | 'user';
}

/**
 * The systemd unit this daemon runs in, if systemd started it (INVOCATION_ID is set for every
 * unit process): read from the cgroup path, e.g. `0::/system.slice/tend-root.service` or
 * `…/user@1000.service/app.slice/tend.service`. Lets `tend daemon restart` go through systemctl
 * instead of leaving a daemon outside the unit.
 */
export function detectSystemdUnit(env: NodeJS.ProcessEnv = process.env, cgroupText?: string): SystemdUnit | null {
  if (env.INVOCATION_ID === undefined) return null;
  const text = cgroupText ?? ownCgroup();
  if (text === null) return null;
  const path =
    text
      .split('\n')
      .map((l) => l.split(':').slice(2).join(':'))
      .find((p) => p.includes('.service')) ?? '';
  const parts = path.split('/').filter(Boolean);
  const name = [...parts].reverse().find((p) => p.endsWith('.service'));
  if (name === undefined || /^user@\d+\.service$/.test(name)) return null;
  return { name, scope: parts.some((p) => /^user@\d+\.service$/.test(p)) ? 'user' : 'system' };
}
