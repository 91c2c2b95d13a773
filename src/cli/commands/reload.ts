import { usageError } from '../../errors.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { applyFile, noteReloads } from '../apply-file.js';
import { isConfigArg } from '../config-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { applyEnvChange, envChange } from '../env-change.js';
import { renderProcessTable } from '../render/process-table.js';
import { requireAppsForAll } from '../require-apps.js';

const RELOAD_OPTIONS = {
  json: { type: 'boolean' },
  parallel: { type: 'string' },
  only: { type: 'string' },
  env: { type: 'string', multiple: true },
  formation: { type: 'string' },
  port: { type: 'string' },
  'update-env': { type: 'boolean' },
} satisfies Options;

export const reload: Command = {
  options: RELOAD_OPTIONS,
  help: `
Synopsis
  tend reload <name|id|namespace|all>... [--parallel N] [--update-env] [--env K=V]... [--json]
  tend reload <config file> [--env NAME] [--only a,b] [--formation web=2] [--port N] [--parallel N] [--json]
                          every app of the file: running ones are reloaded with the file's
                          settings, the others started (alias: startOrReload). The deploy:
                          git pull && tend reload ecosystem.config.js --env production

Options
  --parallel N   replace N instances at a time (default 1)
  --update-env   reload with this shell's environment (the variables set for the app stay);
                 a config file's apps always take it, as in PM2
  --env K=V      set a variable for the app, then reload it (repeatable)
  --env NAME     with a config file: layer its env_NAME block
  --only a,b     with a config file: only these apps
  --formation F  with a Procfile: how many of each process type (web=2,worker=1), as given to start
  --port N       with a Procfile: the first PORT (each process gets the next), as given to start
  --json         print the reloaded processes as JSON (with a file: each app's action)

Exit codes
  0 reloaded; 1 an unknown app, no app at all for \`all\`, or a new process failed (exited, or
  not ready within listen_timeout, or died within min_ready): the reload stopped there and the old processes keep serving;
  2 bad usage; 3 daemon unreachable

Notes
  Cluster apps (-i N, exec_mode cluster) and socket-activated apps (--listen) are reloaded without
  dropping a request: for each instance a new process starts, and once it is ready (listening,
  process.send('ready') or READY=1 with --wait-ready) the old one leaves rotation, finishes what it
  is serving (disconnect, then kill_signal after kill_timeout, then SIGKILL) and exits. Each
  replaced process adds one to its instance's restart counter (PM2's restart_time).
  A fork-mode Node app (tend start server.js) hands its listening sockets to its new process,
  which must listen (and be ready) before the old one drains the same way; no request is dropped.
  An instance id reloads that instance only. Other apps are restarted (stop, then start), as PM2
  does for fork apps, and the output says why; stopped ones are started. With a file, the line after the table says what
  happened to each app: reloaded, restarted, started or created.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, RELOAD_OPTIONS, 'reload');
    if (positionals.length === 0)
      throw usageError('`tend reload` needs a target', 'Example: tend reload api (or an id, all, or a config file)');
    let parallel: number | undefined;
    if (values.parallel !== undefined) {
      parallel = Number(values.parallel);
      if (!Number.isInteger(parallel) || parallel < 1)
        throw usageError(`\`--parallel ${values.parallel}\` is not a whole number of at least 1`, 'Example: --parallel 2');
    }
    if (positionals.length === 1 && isConfigArg(positionals[0], ctx)) return applyFile(positionals[0], values, ctx, 'reload', parallel);
    const change = envChange(values.env, values['update-env'], 'reload');
    if (change !== null) return applyEnvChange(positionals, change, 'reload', values.json === true, ctx, parallel);
    const client = await ctx.client();
    const results: ProcessInfo[] = [];
    for (const target of positionals)
      results.push(...(await client.call('process.reload', parallel === undefined ? { target } : { target, parallel })));
    requireAppsForAll(results.length, positionals, 'reload');
    ctx.out(values.json === true ? JSON.stringify(results) : renderProcessTable(results, ctx.isTTY));
    if (values.json !== true) noteReloads(results, ctx);
    return 0;
  },
};
