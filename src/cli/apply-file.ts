import { isTendError } from '../errors.js';
import type { ApplyAction, ApplyMode, MethodResult } from '../protocol/methods.js';
import { READY_NEVER_CAME, type ProcessInfo } from '../protocol/model.js';
import { loadApps, type ConfigFlags } from './config-apps.js';
import type { CliContext } from './context.js';
import { renderProcessTable } from './render/process-table.js';

export interface FileVerbFlags extends ConfigFlags {
  json?: boolean | undefined;
}

/** What the verbs say about an app the daemon could not act on (one the file could not describe is "not started"). */
const FAILED_AS: Record<ApplyMode, string> = { apply: 'not applied', start: 'not started', restart: 'not restarted', reload: 'not reloaded' };

/**
 * `tend apply|start|restart|reload <file>`: sends each app of the file with the verb the user
 * typed (the daemon decides per app, see applyStep) and prints what happened to each, e.g.
 * `web: reloaded, worker: restarted, cron: started`. An app that fails (missing script, a reload
 * that rolled back) fails alone: the others go on, the reason is on stderr, the exit code is 1.
 */
export async function applyFile(file: string, values: FileVerbFlags, ctx: CliContext, mode: ApplyMode, parallel?: number): Promise<number> {
  const loaded = await loadApps(file, values, ctx);
  // One connection, requests sent in file order: ids follow the file, as in PM2.
  const client = loaded.apps.length === 0 ? null : await ctx.client();
  const settled = client === null ? [] : await Promise.allSettled(loaded.apps.map((spec) => client.call('process.apply', parallel === undefined ? { spec, mode } : { spec, mode, parallel })));
  const done: Array<MethodResult<'process.apply'>> = [];
  const failed = loaded.failed.map((f) => ({ name: f.name, message: f.message, as: 'not started' }));
  for (const [i, s] of settled.entries()) {
    if (s.status === 'fulfilled') done.push(s.value);
    // Not about one app (the daemon went away, a usage error): the whole command fails with it.
    else if (!isTendError(s.reason) || s.reason.exitCode !== 1) throw s.reason;
    else failed.push({ name: loaded.apps[i]?.name ?? '?', message: s.reason.message, as: FAILED_AS[mode] });
  }
  if (values.json === true) {
    ctx.out(JSON.stringify([...done.map((r) => ({ ...r.process, action: r.action })), ...failed.map((f) => ({ name: f.name, action: 'failed', error: f.message }))]));
  } else if (done.length > 0 || failed.length > 0) {
    if (done.length > 0) ctx.out(renderProcessTable(done.map((r) => r.process), ctx.isTTY));
    ctx.out(summaryLine(done, failed));
    noteNoReady(done.map((r) => r.process), ctx);
  }
  // On stderr in both modes: --json output stays parseable and the reason is still seen.
  for (const f of failed) ctx.err(`tend: ${f.name} ${f.as}: ${f.message}`);
  return failed.length > 0 ? 1 : 0;
}

/** `web: reloaded, worker: restarted, broken: failed`: the action taken on each app. */
function summaryLine(done: Array<{ action: ApplyAction; process: ProcessInfo }>, failed: Array<{ name: string }>): string {
  return [...done.map((r) => `${r.process.name}: ${r.action}`), ...failed.map((f) => `${f.name}: failed`)].join(', ');
}

/** `--wait-ready` apps that are online only because listen_timeout passed: say so. */
export function noteNoReady(result: ProcessInfo[], ctx: CliContext): void {
  for (const p of result) {
    if (p.status === 'online' && p.reason?.startsWith(READY_NEVER_CAME) === true) ctx.err(`tend: note: ${p.name}: ${p.reason}; it is considered online anyway`);
  }
}
