import { TendError } from '../errors.js';
import type { Target } from '../protocol/methods.js';
import type { ProcessInfo } from '../protocol/model.js';
import type { HeldApp } from './held-app.js';
import { findInstance } from './held-ops.js';
import type { ProcessHandle } from './process-handle.js';

export interface SignalContext {
  apps: Iterable<ProcessHandle>;
  /** Whole apps of a target (refuses an instance id). */
  resolve(target: Target): ProcessHandle[];
  rows(handles: ProcessHandle[]): ProcessInfo[];
}

/**
 * `tend signal`: to one instance of a held app, to every instance of a held app (its processes,
 * not its holder), or to the main process of other apps, as PM2 does.
 */
export async function signalTarget(ctx: SignalContext, target: Target, signal: NodeJS.Signals): Promise<ProcessInfo[]> {
  const one = findInstance(ctx.apps, target);
  if (one !== null) {
    await (one.handle.held as HeldApp).holder.call('signal', { instance: one.instance, signal });
    return ctx.rows([one.handle]).filter((r) => r.instance === one.instance);
  }
  const handles = ctx.resolve(target);
  const held = handles.filter((h) => h.held?.running === true && h.pid !== null);
  for (const h of held) await (h.held as HeldApp).holder.call('signal', { instance: null, signal });
  if (held.length === handles.length && held.length > 0) return ctx.rows(held);
  const running = handles.filter((h) => h.pid !== null);
  if (running.length === 0) {
    throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` has no running process to signal`, {
      hint: `Start it first: tend start ${String(target)}`,
    });
  }
  for (const h of running) if (!held.includes(h)) signalMain(h.pid as number, signal);
  return ctx.rows(running);
}

/** `tend send`: a line to the stdin of each running app of the target, never blocking the daemon. */
export function sendLine(handles: ProcessHandle[], target: Target, line: string): { bytes: number; processes: number } {
  const running = handles.filter((h) => h.pid !== null);
  if (running.length === 0)
    throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` is not running`, { hint: `Start it first: tend start ${String(target)}` });
  let bytes = 0;
  for (const h of running) {
    try {
      bytes += h.pipes.send(line.endsWith('\n') ? line : `${line}\n`);
    } catch (err) {
      throw new TendError('E_INTERNAL', `could not write to the stdin of ${h.spec.name}: ${(err as Error).message}`, {
        hint: 'The app is not reading its stdin fast enough (its pipe is full); try again later.',
      });
    }
  }
  return { bytes, processes: running.length };
}

/** A user signal (tend signal) goes to the app's main process only, as PM2 does. */
function signalMain(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* it exited meanwhile */
  }
}
