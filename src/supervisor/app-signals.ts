import { TendError } from '../errors.js';
import type { Target } from '../protocol/methods.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import type { PoolHolder } from './pool-holder.js';
import { findInstance } from './pool-ops.js';
import type { ProcessHandle } from './process-handle.js';

export interface SignalContext {
  apps: Iterable<ProcessHandle>;
  /** Whole apps of a target (refuses an instance id). */
  resolve(target: Target): ProcessHandle[];
  rows(handles: ProcessHandle[]): ProcessInfo[];
}

/**
 * `tend signal`: to one instance of a pooled app, to every instance of a pooled app (its processes,
 * not its holder), or to the main process of other apps, as PM2 does.
 */
export async function signalTarget(ctx: SignalContext, target: Target, signal: NodeJS.Signals): Promise<ProcessInfo[]> {
  const one = findInstance(ctx.apps, target);
  if (one !== null) {
    await (one.handle.pool as PoolHolder).holder.call('signal', { instance: one.instance, signal });
    return ctx.rows([one.handle]).filter((r) => r.instance === one.instance);
  }
  const handles = ctx.resolve(target);
  const pool = handles.filter((h) => h.pool?.running === true && h.pid !== null);
  for (const h of pool) await (h.pool as PoolHolder).holder.call('signal', { instance: null, signal });
  if (pool.length === handles.length && pool.length > 0) return ctx.rows(pool);
  const running = handles.filter((h) => h.pid !== null);
  if (running.length === 0) {
    throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` has no running process to signal`, {
      hint: `Start it first: tend start ${String(target)}`,
    });
  }
  for (const h of running) if (!pool.includes(h)) signalMain(h.pid as number, signal);
  return ctx.rows(running);
}

/**
 * `tend send`: a line to the stdin of each running process of the target, never blocking the
 * daemon: an instance id reaches that one process, a pooled app each of its instances (through its
 * holder: every worker has its own stdin), another app its main process.
 */
export async function sendLine(
  targets: Array<{ handle: ProcessHandle; instance: number | null }>,
  target: Target,
  line: string,
): Promise<{ bytes: number; processes: number }> {
  const text = line.endsWith('\n') ? line : `${line}\n`;
  const running = targets.filter((t) => t.handle.pid !== null);
  if (running.length === 0)
    throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` is not running`, { hint: `Start it first: tend start ${String(target)}` });
  let bytes = 0;
  let processes = 0;
  for (const { handle: h, instance } of running) {
    try {
      if (h.pool === null) {
        bytes += h.pipes.send(text);
        processes += 1;
      } else {
        const sent = await h.pool.holder.call('send', { instance, line: text });
        bytes += sent.bytes;
        processes += sent.processes;
      }
    } catch (err) {
      // The holder's own refusals (not running, an older holder) say what to do; a full pipe is said here.
      if (err instanceof TendError && err.code !== 'E_INTERNAL') throw err;
      throw new TendError('E_INTERNAL', `could not write to the stdin of ${h.spec.name}: ${(err as Error).message}`, {
        hint: 'The app is not reading its stdin fast enough (its pipe is full); try again later.',
      });
    }
  }
  return { bytes, processes };
}

/** A user signal (tend signal) goes to the app's main process only, as PM2 does. */
function signalMain(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* it exited meanwhile */
  }
}
