import { readFileSync } from 'node:fs';

/**
 * Small reads of /proc beside the per-process stat (procfs.ts) and the socket tables (net.ts):
 * each returns null when the file cannot be read, and its caller decides what that means.
 */

const readText = (path: string, encoding: BufferEncoding = 'latin1'): string | null => {
  try {
    return readFileSync(path, encoding);
  } catch {
    return null;
  }
};

/** Seconds since boot (/proc/uptime's first field). */
export function uptimeSeconds(): number | null {
  const text = readText('/proc/uptime');
  return text === null ? null : Number(text.split(' ')[0]);
}

/** A process's command line, its arguments joined by spaces (/proc/PID/cmdline); null for kernel threads, zombies and the gone. */
export function readCmdline(pid: number): string | null {
  const text = readText(`/proc/${pid}/cmdline`, 'utf8')?.replace(/\0+$/, '').replace(/\0/g, ' ');
  return text === undefined || text.length === 0 ? null : text;
}

/** This process's resident set in pages (/proc/self/statm's second field). */
export function ownResidentPages(): number | null {
  const text = readText('/proc/self/statm');
  return text === null ? null : Number(text.split(' ')[1]);
}

/** A kernel setting by its sysctl name (`fs.inotify.max_user_watches`), trimmed. */
export function readSysctl(name: string): string | null {
  return readText(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8')?.trim() ?? null;
}

/** This process's cgroup lines (/proc/self/cgroup). */
export function ownCgroup(): string | null {
  return readText('/proc/self/cgroup', 'utf8');
}
