import { isAbsolute, relative, sep } from 'node:path';

/** Never watched, whatever the config says: a change there must not restart the app. */
export const ALWAYS_IGNORED_NAMES: readonly string[] = ['node_modules', '.git'];

export interface IgnoreContext {
  /** The app's cwd: patterns with a slash are relative to it. */
  cwd: string;
  /** TEND_HOME (default logs, pipes, state files live there). */
  home: string;
  /** The app's own log files: a log write must never trigger a restart loop. */
  logFiles: string[];
}

/** `*` = any characters but `/`, `**` = anything, `?` = one character; the rest is literal. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] !== '*') out += '[^/]*';
      else if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * The watcher's ignore test for an absolute path. A pattern without a slash is matched against
 * every segment below the cwd, or below the watched root (`roots`) that holds a path outside it
 * (`tmp`, `*.log`: an app in /tmp/app that ignores `tmp` still watches its own files); one with a
 * slash against the path relative to cwd (or the absolute path), and ignores everything below a match.
 */
export function makeIgnore(patterns: readonly string[], ctx: IgnoreContext, roots: readonly string[] = []): (path: string) => boolean {
  const segmentRules: RegExp[] = [];
  const pathRules: RegExp[] = [];
  for (const raw of patterns) {
    const p = raw.replace(/\/+$/, '').replace(/^\.\//, '');
    if (p === '') continue;
    if (p.includes('/')) pathRules.push(new RegExp(`${globToRegExp(p).source.slice(0, -1)}(?:/.*)?$`));
    else segmentRules.push(globToRegExp(p));
  }
  const home = ctx.home.replace(/\/+$/, '');
  const logs = ctx.logFiles;
  return (path: string): boolean => {
    if (path === home || path.startsWith(`${home}${sep}`)) return true;
    for (const f of logs) if (path === f || path.startsWith(`${f}.`)) return true;
    const rel = relative(ctx.cwd, path);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    for (const s of segmentsBelow(path, rel === '' || inside ? ctx.cwd : undefined, roots)) {
      if (ALWAYS_IGNORED_NAMES.includes(s)) return true;
      for (const r of segmentRules) if (r.test(s)) return true;
    }
    for (const r of pathRules) if ((inside && r.test(rel)) || r.test(path)) return true;
    return false;
  };
}

/** The path's segments below `base`, else below the longest root holding it, else all of them. */
function segmentsBelow(path: string, base: string | undefined, roots: readonly string[]): string[] {
  const from =
    base ?? roots.filter((r) => path === r || path.startsWith(`${r.replace(/\/+$/, '')}${sep}`)).sort((a, b) => b.length - a.length)[0];
  const rel = from === undefined ? path : relative(from, path);
  return rel === '' ? [] : rel.split(sep);
}
