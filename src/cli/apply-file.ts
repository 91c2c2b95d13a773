import { resolve } from 'node:path';
import { isTendError, usageError } from '../errors.js';
import type { ApplyAction, ApplyMode, PlanStep } from '../protocol/methods.js';
import { READY_NEVER_CAME, type ProcessInfo } from '../protocol/process-info.js';
import { loadApps, type ConfigFlags } from './config-apps.js';
import type { CliContext } from './context.js';
import { renderProcessTable } from './render/process-table.js';

export interface FileVerbFlags extends ConfigFlags {
  json?: boolean | undefined;
  'dry-run'?: boolean | undefined;
  prune?: boolean | undefined;
}

interface Outcome {
  name: string;
  action: ApplyAction | 'deleted' | 'failed';
  process?: ProcessInfo;
  /** Its list rows: one per instance of a cluster app. */
  rows?: ProcessInfo[];
  error?: string;
}

/** What the verbs say about an app the daemon could not act on (one the file could not describe is "not started"). */
const FAILED_AS: Record<ApplyMode, string> = {
  apply: 'not applied',
  start: 'not started',
  restart: 'not restarted',
  reload: 'not reloaded',
};

/**
 * `tend apply|start|restart|reload <file>`: sends each app of the file with the verb the user
 * typed (the daemon decides per app, see applyStep) and prints what happened to each, e.g.
 * `web: reloaded, worker: restarted, cron: started`. An app that fails (missing script, a reload
 * that rolled back) fails alone: the others go on, the reason is on stderr, the exit code is 1.
 */
export async function applyFile(file: string, values: FileVerbFlags, ctx: CliContext, mode: ApplyMode, parallel?: number): Promise<number> {
  if (values.prune === true && values.only !== undefined)
    throw usageError(
      "`--prune` with `--only` would delete the file's other apps",
      'Drop --only, or delete apps by name with `tend delete <name>`.',
    );
  const configFile = resolve(ctx.cwd, file);
  const loaded = await loadApps(file, values, ctx);
  const specs = loaded.apps.map((spec) => ({ ...spec, configFile }));
  const pruneFile = values.prune === true ? { pruneFile: configFile } : {};
  if (values['dry-run'] === true)
    return printPlan(
      await (await ctx.client()).call('process.plan', { specs, mode, ...pruneFile }),
      loaded.failed,
      values.json === true,
      ctx,
    );
  // One connection, requests sent in file order: ids follow the file, as in PM2.
  const client = specs.length === 0 && values.prune !== true ? null : await ctx.client();
  const settled =
    client === null
      ? []
      : await Promise.allSettled(
          specs.map((spec) => client.call('process.apply', parallel === undefined ? { spec, mode } : { spec, mode, parallel })),
        );
  // In file order: what was done to each app, or why it failed.
  const outcomes: Outcome[] = [];
  for (const [i, s] of settled.entries()) {
    if (s.status === 'fulfilled')
      outcomes.push({ name: s.value.process.name, action: s.value.action, process: s.value.process, rows: s.value.rows });
    // Not about one app (the daemon went away, a usage error): the whole command fails with it.
    else if (!isTendError(s.reason) || s.reason.exitCode !== 1) throw s.reason;
    else outcomes.push({ name: loaded.apps[i]?.name ?? '?', action: 'failed', error: `${FAILED_AS[mode]}: ${s.reason.message}` });
  }
  for (const f of loaded.failed) outcomes.push({ name: f.name, action: 'failed', error: `not started: ${f.message}` });
  if (client !== null && values.prune === true) {
    // The apps last applied from this file that it no longer has (a failed app of the file is kept).
    const gone = (await client.call('process.plan', { specs, mode, ...pruneFile })).filter(
      (p) => p.action === 'deleted' && !loaded.failed.some((f) => f.name === p.name),
    );
    for (const g of gone) {
      await client.call('process.delete', { target: g.name });
      outcomes.push({ name: g.name, action: 'deleted' });
    }
  }
  const done = outcomes.flatMap((o) => o.rows ?? []);
  if (values.json === true) {
    ctx.out(
      JSON.stringify(
        outcomes.map((o) =>
          o.process === undefined ? { name: o.name, action: o.action, error: o.error } : { ...o.process, action: o.action },
        ),
      ),
    );
  } else if (outcomes.length > 0) {
    if (done.length > 0) ctx.out(renderProcessTable(done, ctx.isTTY));
    // `web: reloaded, worker: restarted, broken: failed`
    ctx.out(outcomes.map((o) => `${o.name}: ${o.action}`).join(', '));
    noteReloads(done, ctx);
    noteNoReady(done, ctx);
  }
  // On stderr in both modes: --json output stays parseable and the reason is still seen.
  for (const o of outcomes) if (o.error !== undefined) ctx.err(`tend: ${o.name} ${o.error}`);
  return outcomes.some((o) => o.action === 'failed') ? 1 : 0;
}

/** The verb a plan step is said with: `web: restart (changed: env.PORT, instances)`. */
const PLAN_WORDS: Record<PlanStep['action'], string> = {
  created: 'create and start',
  started: 'start',
  restarted: 'restart',
  reloaded: 'reload',
  updated: 'update, not run (a scheduled job)',
  unchanged: 'unchanged',
  deleted: 'stop and delete',
};

/** `--dry-run`: what the verb would do to each app of the file, and why; nothing is changed. */
function printPlan(steps: PlanStep[], failed: ReadonlyArray<{ name: string; message: string }>, json: boolean, ctx: CliContext): number {
  if (json) {
    ctx.out(JSON.stringify([...steps, ...failed.map((f) => ({ name: f.name, action: 'failed', changed: [], error: f.message }))]));
  } else {
    for (const s of steps) {
      const why =
        s.action === 'deleted'
          ? ' (no longer in the file)'
          : s.changed.length > 0
            ? ` (changed: ${s.changed.join(', ')})`
            : s.action === 'started'
              ? ' (not running)'
              : s.action === 'created'
                ? ' (new)'
                : '';
      ctx.out(`${s.name}: ${PLAN_WORDS[s.action]}${why}`);
    }
    ctx.out('dry run: nothing was changed');
  }
  for (const f of failed) ctx.err(`tend: ${f.name} would not start: ${f.message}`);
  return failed.length > 0 ? 1 : 0;
}

/** A reload that restarted an app says why: `sh: restarted instead of reloaded without downtime: …`. */
export function noteReloads(rows: ProcessInfo[], ctx: CliContext): void {
  for (const r of rows) if (r.reloadNote !== undefined) ctx.out(`${r.name}: ${r.reloadNote}`);
}

/** `--wait-ready` apps that are online only because listen_timeout passed: say so. */
export function noteNoReady(result: ProcessInfo[], ctx: CliContext): void {
  for (const p of result) {
    if (p.status === 'online' && p.reason?.startsWith(READY_NEVER_CAME) === true)
      ctx.err(`tend: note: ${p.name}: ${p.reason}; it is considered online anyway`);
  }
}
