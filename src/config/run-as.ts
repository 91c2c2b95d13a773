import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { TendError } from '../errors.js';

export type RunAsKind = 'user' | 'group';

/** The entry of /etc/passwd or /etc/group with this name or number (null = none). */
function lookup(kind: RunAsKind, value: string): { name: string; id: number } | null {
  let text = '';
  try {
    text = readFileSync(kind === 'user' ? '/etc/passwd' : '/etc/group', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === undefined || id === undefined || !/^\d+$/.test(id)) continue;
    if (name === value || id === value) return { name, id: Number(id) };
  }
  return null;
}

function own(kind: RunAsKind): { name: string; id: number } {
  const id = kind === 'user' ? process.geteuid?.() ?? 0 : process.getegid?.() ?? 0;
  const name = kind === 'user' ? userInfo().username : lookup('group', String(id))?.name ?? String(id);
  return { name, id };
}

/**
 * PM2's `uid`/`user`/`gid`: tend runs every app as its own user and group. A value naming them
 * asks for what tend does anyway; any other is refused (never a warning: an app meant for an
 * unprivileged user must not quietly run as root).
 */
export function checkRunAs(kind: RunAsKind, key: string, value: string, source: string): void {
  const me = own(kind);
  const id = /^\d+$/.test(value) ? Number(value) : lookup(kind, value)?.id;
  if (id === me.id) return;
  const why = me.id === 0 && kind === 'user'
    ? 'tend does not switch users yet, and the app would run as root'
    : `that needs tend running as root, and it runs as ${own('user').name}`;
  throw new TendError('E_INVALID_VALUE', `${source}: \`${key}: ${value}\` asks to run the app as another ${kind}: ${why}`, {
    hint: `Remove \`${key}\`, or start the app from that ${kind}'s own tend.`,
  });
}
