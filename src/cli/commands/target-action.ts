import { usageError } from '../../errors.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { applyFile } from '../apply-file.js';
import { isConfigArg, loadApps } from '../config-apps.js';
import { applyEnvChange, envChange } from '../env-change.js';
import { requireAppsForAll } from '../require-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';

/**
 * The apps a config file describes. For a Procfile, every running instance of its process types
 * (`web.1`…`web.N`), whatever formation they were started with.
 */
async function configTargets(file: string, values: Parameters<typeof loadApps>[1], ctx: CliContext): Promise<string[]> {
  const names = (await loadApps(file, values, ctx)).apps.map((a) => a.name);
  if (!/(^|\/)Procfile(\.[^/]*)?$/.test(file)) return names;
  const types = new Set(names.map((n) => n.replace(/\.\d+$/, '')));
  const existing = (await (await ctx.client()).call('process.list', {})).map((p) => p.name);
  const instances = existing.filter((n) => types.has(n.replace(/\.\d+$/, '')) && /\.\d+$/.test(n));
  return [...new Set([...instances, ...names.filter((n) => existing.includes(n))])];
}

type Method = 'process.stop' | 'process.restart' | 'process.delete';

/** stop / restart / delete share one shape: targets in, the affected processes out. */
function targetAction(verb: string, method: Method, what: string, notes: string): Command {
  const options = {
    json: { type: 'boolean' },
    only: { type: 'string' },
    env: { type: 'string', multiple: true },
    formation: { type: 'string' },
    port: { type: 'string' },
    ...(method === 'process.restart' ? { 'update-env': { type: 'boolean' as const } } : {}),
  } satisfies Options;
  return {
    options,
    help: `
Synopsis
  tend ${verb} <name|id|namespace|all>... [--json]${verb === 'restart' ? ' [--update-env] [--env K=V]...' : ''}
  tend ${verb} <config file> [--only a,b] [--env NAME]     the apps the file describes

Options
  --json          print the affected processes as JSON
  --only a,b      with a config file: only these apps
  --env NAME      with a config file: layer its env_NAME block${
    verb === 'restart'
      ? `
  --env K=V       set a variable for the app, then restart it (repeatable)
  --update-env    restart with this shell's environment (the variables you set for the app stay)`
      : ''
  }
  --formation F   with a Procfile: how many of each process type (web=2,worker=1)
  --port N        with a Procfile: the first PORT (each process gets the next)

Exit codes
  0 done; 1 failed, an unknown app, or no app at all for \`all\`; 2 bad usage; 3 daemon unreachable

Notes
  ${what}
  ${notes}`,
    async run(argv: string[], ctx: CliContext): Promise<number> {
      const { values, positionals } = parseFlags(argv, options, verb);
      if (positionals.length === 0) throw usageError(`\`tend ${verb}\` needs a target`, `Example: tend ${verb} api (or an id, or all)`);
      // restart <file> deploys the file's specs and restarts every app of it, running or not.
      if (method === 'process.restart' && positionals.length === 1 && isConfigArg(positionals[0], ctx))
        return applyFile(positionals[0], values, ctx, 'restart');
      const client = await ctx.client();
      const targets: string[] = [];
      for (const p of positionals) {
        // A file's apps come in start order (dependencies first); stop and delete go the other way.
        if (isConfigArg(p, ctx)) targets.push(...(await configTargets(p, values, ctx)).reverse());
        else targets.push(p);
      }
      const configs = positionals.some((p) => isConfigArg(p, ctx));
      const change = method === 'process.restart' && !configs ? envChange(values.env, values['update-env'] === true, verb) : null;
      if (change !== null) return applyEnvChange(targets, change, 'restart', values.json === true, ctx);
      if ((values.env ?? []).length > 0 && !configs)
        throw usageError(
          `\`--env\` applies to \`tend ${verb}\` of a config file${method === 'process.restart' ? ' (or `--env K=V` to set a variable)' : ''}`,
          `Example: tend ${verb} ecosystem.config.js --env production`,
        );
      const results: ProcessInfo[] = [];
      for (const target of targets) results.push(...(await client.call(method, { target })));
      requireAppsForAll(results.length, targets, verb);
      if (values.json === true) ctx.out(JSON.stringify(results));
      else if (method === 'process.delete') ctx.out(`deleted: ${results.map((r) => `${r.name} (${r.id})`).join(', ')}`);
      else ctx.out(renderProcessTable(results, ctx.isTTY));
      return 0;
    },
  };
}

export const stop = targetAction(
  'stop',
  'process.stop',
  "Sends the kill signal (default SIGTERM) to each app's process group, waits --kill-timeout, then SIGKILLs what remains.",
  'Returns once no process of the app is left. A second stop during a stop escalates to SIGKILL.',
);
export const restart = targetAction(
  'restart',
  'process.restart',
  'Stops each app as `tend stop` does, then starts it again; the restart counter grows by one.',
  'Restarting a stopped or errored app starts it, and counts as a restart too. `restart <file>`\n  restarts every app of the file with its settings from the file and starts those that do not\n  run (`tend reload <file>` does it without downtime for cluster apps).',
);
export const remove = targetAction(
  'delete',
  'process.delete',
  'Stops each app and removes it from tend (its log files stay).',
  'An instance id of a cluster app removes that process alone (the app runs one instance fewer).\n  Aliases: del, rm.',
);
