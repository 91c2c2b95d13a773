import { readFileSync, readdirSync } from 'node:fs';

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

/**
 * One variable of a process's environment (/proc/PID/environ, as it was at its exec); null when
 * unset, or the process is gone or another user's. A search in the raw bytes: no parse of the rest.
 */
export function readEnvVar(pid: number, name: string): string | null {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null;
  }
  // Prefixed with NUL so the first variable matches the same way as the others.
  const env = Buffer.concat([Buffer.from([0]), environ]);
  const needle = Buffer.from(`\0${name}=`);
  const at = env.indexOf(needle);
  if (at < 0) return null;
  const start = at + needle.length;
  const end = env.indexOf(0, start);
  return env.subarray(start, end < 0 ? env.length : end).toString('utf8');
}

/** When the machine booted, in seconds since the epoch (/proc/stat `btime`). */
export function bootTimeSeconds(): number | null {
  const m = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
  return m === null ? null : Number(m[1]);
}

/** The direct children of a process, over all its threads (/proc/PID/task/TID/children); empty when gone. */
export function childrenOf(pid: number): number[] {
  let text = '';
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) text += ` ${readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')}`;
  } catch {
    return [];
  }
  return text
    .trim()
    .split(/\s+/)
    .filter((c) => c !== '')
    .map(Number);
}
