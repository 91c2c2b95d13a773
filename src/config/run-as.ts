import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { TendError } from '../errors.js';
import { findExecutable } from '../lib/which.js';
import type { RunAs } from '../protocol/app-spec.js';

export type RunAsKind = 'user' | 'group';

/** The entry of /etc/passwd or /etc/group with this name or number (null = none); `gid` = a user's primary group. */
function lookup(kind: RunAsKind, value: string): { name: string; id: number; gid: number } | null {
  let text = '';
  try {
    text = readFileSync(kind === 'user' ? '/etc/passwd' : '/etc/group', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [name, , id, gid] = line.split(':');
    if (name === undefined || id === undefined || !/^\d+$/.test(id)) continue;
    if (name === value || id === value)
      return { name, id: Number(id), gid: gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : Number(id) };
  }
  return null;
}

function own(kind: RunAsKind): { name: string; id: number } {
  const id = kind === 'user' ? (process.geteuid?.() ?? 0) : (process.getegid?.() ?? 0);
  const name = kind === 'user' ? userInfo().username : (lookup('group', String(id))?.name ?? String(id));
  return { name, id };
}

const refuse = (source: string, key: string, value: string, why: string, hint: string): never => {
  throw new TendError('E_INVALID_VALUE', `${source}: \`${key}: ${value}\` ${why}`, { hint });
};

/**
 * PM2's `uid`/`user` and `gid`: null when they name tend's own user and group (what tend does
 * anyway). Only a root tend runs an app as another user: setpriv(1) (util-linux) sets the groups
 * (initgroups), the group and the user, then runs the app, with the same pid. Never a warning:
 * an app meant for an unprivileged user must not quietly run as root.
 */
export function resolveRunAs(
  uid: { key: string; value: string } | undefined,
  gid: { key: string; value: string } | undefined,
  source: string,
): RunAs | null {
  const me = own('user');
  const user = uid === undefined ? null : lookup('user', uid.value);
  const group = gid === undefined ? null : lookup('group', gid.value);
  const uidOf = (v: string): number | undefined => (/^\d+$/.test(v) ? Number(v) : user?.id);
  const gidOf = (v: string): number | undefined => (/^\d+$/.test(v) ? Number(v) : group?.id);
  const sameUser = uid === undefined || uidOf(uid.value) === me.id;
  const sameGroup = gid === undefined || gidOf(gid.value) === own('group').id;
  if (sameUser && sameGroup) return null;
  const asked = !sameUser ? (uid as { key: string; value: string }) : (gid as { key: string; value: string });
  const kind: RunAsKind = !sameUser ? 'user' : 'group';
  if (me.id !== 0)
    return refuse(
      source,
      asked.key,
      asked.value,
      `asks to run the app as another ${kind}: that needs tend running as root, and it runs as ${me.name}`,
      `Remove \`${asked.key}\`, or start the app from that ${kind}'s own tend.`,
    );
  if (uid !== undefined && user === null)
    return refuse(source, uid.key, uid.value, 'names no user of this machine (/etc/passwd)', 'Create the user first, or fix the name.');
  if (gid !== undefined && group === null && !/^\d+$/.test(gid.value))
    return refuse(source, gid.key, gid.value, 'names no group of this machine (/etc/group)', 'Create the group first, or fix the name.');
  if (findExecutable('setpriv', process.env.PATH, '/') === undefined)
    return refuse(
      source,
      asked.key,
      asked.value,
      'needs setpriv (util-linux) to switch users, and it is not installed',
      'Install util-linux.',
    );
  const target = user ?? { name: 'root', id: 0, gid: 0 };
  return { uid: target.id, gid: gid === undefined ? target.gid : (gidOf(gid.value) as number), user: target.name };
}
