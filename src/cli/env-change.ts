import { inheritableEnv } from '../config/env.js';
import { TendError, usageError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import type { CliContext } from './context.js';
import { renderProcessTable } from './render/process-table.js';

/** `--env K=V` (repeatable) and `--update-env` of `restart` and `reload` <app>. */
export interface EnvChange {
  set: Record<string, string>;
  updateEnv: boolean;
}

/**
 * The environment change asked on the command line, or null when none was. `--env NAME` (no `=`)
 * picks a block of a config file, which an app target does not have.
 */
export function envChange(env: string[] | undefined, updateEnv: boolean | undefined, verb: string): EnvChange | null {
  const given = env ?? [];
  if (given.length === 0 && updateEnv !== true) return null;
  const set: Record<string, string> = {};
  for (const v of given) {
    const eq = v.indexOf('=');
    if (eq < 0)
      throw usageError(
        `\`--env ${v}\` picks a block of a config file; give \`--env K=V\` to set a variable`,
        `Example: tend ${verb} api --env LOG_LEVEL=debug, or tend ${verb} ecosystem.config.js --env ${v}`,
      );
    if (eq === 0) throw usageError(`\`--env ${v}\` is not NAME=value`, 'Example: --env PORT=8080');
    set[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return { set, updateEnv: updateEnv === true };
}

/**
 * `restart|reload <app> --env K=V` / `--update-env`: each app's spec with the new environment is
 * applied by the verb (a reload keeps zero downtime for cluster apps), so the change sticks: a
 * later restart or `tend save` keeps it. `--update-env` takes this shell's variables, those set
 * for the app (its file's env, earlier `--env`) stay, as with PM2.
 */
export async function applyEnvChange(
  targets: string[],
  change: EnvChange,
  mode: 'restart' | 'reload',
  json: boolean,
  ctx: CliContext,
  parallel?: number,
): Promise<number> {
  const client = await ctx.client();
  const specs: AppSpec[] = [];
  // One spec per app: a cluster app describes one record per instance (an instance id: its app's).
  for (const target of targets)
    for (const d of await client.call('process.describe', { target, showSecrets: true }))
      if (!specs.some((s) => s.name === d.spec.name)) specs.push(d.spec);
  if (specs.length === 0)
    throw new TendError('E_APP_NOT_FOUND', `no app to ${mode}: tend manages no app`, { hint: 'Start one with `tend start <script>`.' });
  const results: ProcessInfo[] = [];
  for (const spec of specs) {
    const userKeys = new Set([...(spec.userEnv ?? Object.keys(spec.env)), ...Object.keys(change.set)]);
    const userSet = Object.fromEntries(Object.entries(spec.env).filter(([k]) => userKeys.has(k)));
    const env = change.updateEnv ? { ...spec.env, ...inheritableEnv(ctx.env), ...userSet, ...change.set } : { ...spec.env, ...change.set };
    const next: AppSpec = { ...spec, env, userEnv: [...userKeys] };
    // Every row of the app: one per instance of a cluster app.
    results.push(
      ...(await client.call('process.apply', parallel === undefined ? { spec: next, mode } : { spec: next, mode, parallel })).rows,
    );
  }
  ctx.out(json ? JSON.stringify(results) : renderProcessTable(results, ctx.isTTY));
  return 0;
}
