import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A process identified by pid and start time (field 22 of /proc/PID/stat), so a reused pid is never mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: string;
}

/** Fields of /proc/PID/stat after the command name (index 0 is field 3, `state`). */
function statFields(pid: number): string[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  return text
    .slice(close + 2)
    .trim()
    .split(' ');
}

export function processRef(pid: number): ProcessRef | null {
  const fields = statFields(pid);
  const startTime = fields?.[19];
  return startTime === undefined ? null : { pid, startTime };
}

/** True when the process exists, has the same start time, and is not a zombie. */
export function isAlive(ref: ProcessRef): boolean {
  const fields = statFields(ref.pid);
  if (!fields) return false;
  return fields[19] === ref.startTime && fields[0] !== 'Z';
}

/** SIGKILLs the process if it is still the same one. Returns true when a signal was sent. */
export function killRef(ref: ProcessRef, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resident set size in kB (VmRSS of /proc/PID/status). */
export function rssKb(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** RSS and PSS in kB from /proc/PID/smaps_rollup (PSS splits shared pages among the processes mapping them). */
export function memKb(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`no ${name} in smaps_rollup of pid ${pid}`);
    return Number(match[1]);
  };
  return { rss: field('Rss'), pss: field('Pss') };
}

let clockTicks: number | undefined;

/** Clock ticks per second (getconf CLK_TCK, 100 on Linux in practice). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (utime + stime) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clkTck();
}

/**
 * CPU time (utime + stime) of this process's children that have exited and been waited for, in
 * seconds (cutime + cstime of /proc/self/stat): read before and after a child's whole run, the
 * difference is that child's CPU, even though it is gone by the time it can be read.
 */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields(process.pid);
  if (!fields) throw new Error('/proc/self/stat is unreadable');
  return (Number(fields[13]) + Number(fields[14])) / clkTck();
}

/** The environment every timed process gets: ours minus NODE_EXTRA_CA_CERTS, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/**
 * Processes (other than this one) whose environment holds exactly `key=value`: a session's
 * leftovers, found by its unique temporary home rather than by any name.
 */
export function processesWithEnv(key: string, value: string): ProcessRef[] {
  const needle = Buffer.from(`${key}=${value}\0`);
  const found: ProcessRef[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (environ.indexOf(needle) !== 0 && environ.indexOf(Buffer.concat([Buffer.from([0]), needle])) < 0) continue;
    const ref = processRef(pid);
    if (ref) found.push(ref);
  }
  return found;
}
