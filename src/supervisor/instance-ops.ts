import type { ProcessInfo } from '../protocol/model.js';
import type { HeldApp } from './held-app.js';
import type { ProcessHandle } from './process-handle.js';

/**
 * `stop` / `start` of one instance id, as PM2 acts on one process: the app's holder stops or
 * starts that worker only, the others keep serving. With no holder running, there is nothing
 * to stop or reset, and a start starts the app (`startApp`). A reset zeroes its restart counters.
 */
export async function actOnInstance(
  one: { handle: ProcessHandle; instance: number },
  verb: 'stop' | 'start' | 'reset',
  startApp: (h: ProcessHandle) => Promise<unknown>,
): Promise<void> {
  const h = one.handle;
  const held = h.held as HeldApp;
  const live = held.running && h.pid !== null && h.state !== 'stopping' && h.state !== 'stopped' && h.state !== 'errored';
  if (live) await held.holder.call(`${verb}-instance`, { instance: one.instance });
  else if (verb === 'start') await startApp(h);
}

/** The row of one instance among an app's rows. */
export function instanceRows(rows: ProcessInfo[], instance: number): ProcessInfo[] {
  return rows.filter((r) => r.instance === instance);
}

/** `tend start <app>` of a running held app starts its stopped or errored instances (PM2 starts every process of the name). */
export async function startIdleInstances(h: ProcessHandle): Promise<void> {
  const held = h.held;
  if (held === null || !held.running || h.pid === null || h.state !== 'online') return;
  for (const w of held.status?.workers ?? []) {
    if (w.status === 'stopped' || w.status === 'errored') await held.holder.call('start-instance', { instance: w.instance });
  }
}

/** `tend reset` of a whole app: its counters, and its instances' (kept by its holder; one from before this method answers with an error: logged). */
export async function resetCounters(h: ProcessHandle, log: (event: string, data: Record<string, unknown>) => void): Promise<void> {
  h.resetCounters();
  if (h.held?.running === true && h.pid !== null) {
    await h.held.holder
      .call('reset-instance', { instance: null })
      .catch((err: Error) => log('reset-instances-failed', { id: h.id, error: err.message }));
  }
}
