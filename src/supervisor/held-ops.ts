import { TendError } from '../errors.js';
import type { AppSpec, InstanceInfo, ProcessInfo, ReloadReport } from '../protocol/model.js';
import { isUp } from '../protocol/status-groups.js';
import type { AppView } from './handle-types.js';
import type { ProcessHandle } from './process-handle.js';
import { isHeld, type HeldApp } from './held-app.js';

/**
 * List rows of an app: one per instance for a held app (PM2's habit), each with its own id;
 * the app's own row (instance 0) carries the app's id. A held app that is not running shows one
 * row (its state) like any app.
 */
export function rowsOf(h: AppView, now: number): ProcessInfo[] {
  const base = h.info();
  const held = h.held;
  if (held === null) return [base];
  const status = held.status;
  const holderPid = base.pid;
  if (status === null || base.pid === null || status.workers.length === 0) return [{ ...base, instance: 0, holderPid, pid: null }];
  return status.workers.map((w) => instanceRow(base, w, held.instanceIds[w.instance] ?? -1, holderPid, now));
}

function instanceRow(base: ProcessInfo, w: InstanceInfo, id: number, holderPid: number | null, now: number): ProcessInfo {
  // The holder's own state wins while it is not online (launching, stopping).
  const status = isUp(base.status) ? w.status : base.status;
  return {
    ...base,
    id,
    pid: w.pid,
    status,
    restarts: base.restarts + w.restarts,
    uptimeMs: w.startedAt === null ? 0 : Math.max(0, now - w.startedAt),
    startedAt: w.startedAt,
    instance: w.instance,
    holderPid,
  };
}

/** A numeric target that names one instance (not instance 0) of a held app. */
export function findInstance(handles: Iterable<ProcessHandle>, target: string | number): { handle: ProcessHandle; instance: number } | null {
  const text = String(target).trim();
  if (!/^\d+$/.test(text)) return null;
  const id = Number(text);
  for (const h of handles) {
    const k = h.held?.instanceOf(id);
    if (k !== undefined && k > 0) return { handle: h, instance: k };
  }
  return null;
}

/** Asks the app's holder for a rolling reload; a failed one becomes E_RELOAD_FAILED (exit 1). */
export async function reloadHeld(h: ProcessHandle, parallel: number, spec: AppSpec | undefined, lastStderr: (h: ProcessHandle) => Promise<string[]>): Promise<ReloadReport> {
  const held = h.held;
  if (held === null || !held.running) throw new TendError('E_NOT_RUNNING', `\`${h.spec.name}\` is not running`, { hint: `Start it: tend start ${h.spec.name}` });
  const report = await held.holder.call('reload', spec === undefined ? { parallel } : { spec, parallel });
  if (report.ok) {
    held.lastReload = report;
    return report;
  }
  const stderr = await lastStderr(h).catch(() => []);
  const failed: ReloadReport = { ...report, stderr };
  held.lastReload = failed;
  const id = report.failedInstance === null ? h.id : (held.instanceIds[report.failedInstance] ?? h.id);
  throw new TendError('E_RELOAD_FAILED', `reload of ${h.spec.name} stopped: the new process of instance ${report.failedInstance ?? '?'} (id ${id}) ${report.reason ?? 'failed'}; the old processes keep serving`
    + (stderr.length > 0 ? `\n  last stderr lines:\n${stderr.map((l) => `    ${l}`).join('\n')}` : ''), {
    hint: `Fix the app and run \`tend reload ${h.spec.name}\` again; \`tend describe ${h.spec.name}\` shows the failed reload.`,
    details: { app: h.spec.name, instance: report.failedInstance, id, reason: report.reason, replaced: report.replaced, stderr },
  });
}

/** The instance count `scale` asks for: absolute, or relative to what runs now. */
export function scaledCount(h: ProcessHandle, instances: number, relative: boolean): number {
  const current = h.held?.status?.instances ?? h.spec.instances;
  const next = relative ? current + instances : instances;
  if (!Number.isInteger(next) || next < 1) {
    throw new TendError('E_INVALID_VALUE', `cannot scale ${h.spec.name} to ${next} instance(s) (it runs ${current})`, {
      hint: 'Give a count of at least 1 (`tend scale api 4`), or a change (`tend scale api +2`, `tend scale api -1`); `tend stop api` stops it.',
    });
  }
  return next;
}

/** Replaces one instance of a held app when `target` names one; null when it does not. */
export async function restartHeldInstance(apps: Iterable<ProcessHandle>, target: string | number): Promise<ProcessHandle | null> {
  const one = findInstance(apps, target);
  if (one === null) return null;
  await (one.handle.held as HeldApp).holder.call('restart-instance', { instance: one.instance });
  return one.handle;
}

/** `tend scale`: every app must be held (refused whole otherwise); running holders scale live. */
export async function scaleHeld(handles: ProcessHandle[], instances: number, relative: boolean): Promise<void> {
  for (const h of handles) {
    if (!isHeld(h.spec)) {
      throw new TendError('E_USAGE', `${h.spec.name} runs as a single process (fork mode): it has no instances to scale`, {
        hint: `Start it in cluster mode: tend delete ${h.spec.name} && tend start <script> --name ${h.spec.name} -i ${instances}; for another language add --listen <port>.`,
      });
    }
  }
  for (const h of handles) {
    const count = scaledCount(h, instances, relative);
    h.spec = { ...h.spec, instances: count };
    if (h.held !== null && h.held.running && h.state !== 'stopping') await h.held.holder.call('scale', { instances: count });
  }
}
