import { usageError } from '../../errors.js';
import type { ProcessInfo } from '../../protocol/model.js';
import { isConfigArg } from '../config-apps.js';
import { parseFlags, type CliContext, type Command } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';
import { startConfig } from './start.js';

export const reload: Command = {
  help: `
Synopsis
  tend reload <name|id|namespace|all>... [--parallel N] [--json]
  tend reload <config file> [--env NAME] [--only a,b]     start what is not running, reload the rest
                                                           with the file's spec (alias: startOrReload)

Options
  --parallel N   replace N instances at a time (default 1)
  --json         print the reloaded processes as JSON

Exit codes
  0 reloaded; 1 an unknown app, or a new process failed (exited, or not ready within
  listen_timeout): the reload stopped there and the old processes keep serving; 2 bad usage;
  3 daemon unreachable

Notes
  Cluster apps (-i N, exec_mode cluster) and socket-activated apps (--listen) are reloaded without
  dropping a request: for each instance a new process starts, and once it is ready (listening,
  process.send('ready') or READY=1 with --wait-ready) the old one leaves rotation, finishes what it
  is serving (disconnect, then kill_signal after kill_timeout, then SIGKILL) and exits.
  An instance id reloads that instance only. Other apps are restarted (stop, then start).`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      json: { type: 'boolean' }, parallel: { type: 'string' }, only: { type: 'string' }, env: { type: 'string', multiple: true },
    }, 'reload');
    if (positionals.length === 0) throw usageError('`tend reload` needs a target', 'Example: tend reload api (or an id, all, or a config file)');
    let parallel: number | undefined;
    if (values.parallel !== undefined) {
      parallel = Number(values.parallel);
      if (!Number.isInteger(parallel) || parallel < 1) throw usageError(`\`--parallel ${values.parallel}\` is not a whole number of at least 1`, 'Example: --parallel 2');
    }
    if (positionals.length === 1 && isConfigArg(positionals[0], ctx)) return startConfig(positionals[0], values, ctx, false, true);
    const client = await ctx.client();
    const results: ProcessInfo[] = [];
    for (const target of positionals) results.push(...(await client.call('process.reload', parallel === undefined ? { target } : { target, parallel })));
    ctx.out(values.json === true ? JSON.stringify(results) : renderProcessTable(results, ctx.isTTY));
    return 0;
  },
};
