import { usageError } from '../../errors.js';
import type { ProcessInfo } from '../../protocol/model.js';
import { parseFlags, type CliContext, type Command } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';

type Method = 'process.stop' | 'process.restart' | 'process.delete';

/** stop / restart / delete share one shape: targets in, the affected processes out. */
function targetAction(verb: string, method: Method, what: string, notes: string): Command {
  return {
    help: `
Synopsis
  tend ${verb} <name|id|namespace|all>... [--json]

Options
  --json   print the affected processes as JSON

Exit codes
  0 done; 1 failed; 2 unknown app or bad usage; 3 daemon unreachable

Notes
  ${what}
  ${notes}`,
    async run(argv: string[], ctx: CliContext): Promise<number> {
      const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, verb);
      if (positionals.length === 0) throw usageError(`\`tend ${verb}\` needs a target`, `Example: tend ${verb} api (or an id, or all)`);
      const client = await ctx.client();
      const results: ProcessInfo[] = [];
      for (const target of positionals) results.push(...(await client.call(method, { target })));
      if (values.json === true) ctx.out(JSON.stringify(results));
      else if (method === 'process.delete') ctx.out(`deleted: ${results.map((r) => `${r.name} (${r.id})`).join(', ')}`);
      else ctx.out(renderProcessTable(results, ctx.isTTY));
      return 0;
    },
  };
}

export const stop = targetAction('stop', 'process.stop', 'Sends the kill signal (default SIGTERM) to each app\'s process group, waits --kill-timeout, then SIGKILLs what remains.', 'Returns once no process of the app is left. A second stop during a stop escalates to SIGKILL.');
export const restart = targetAction('restart', 'process.restart', 'Stops each app as `tend stop` does, then starts it again; the restart counter grows by one.', 'Restarting a stopped or errored app starts it.');
export const remove = targetAction('delete', 'process.delete', 'Stops each app and removes it from tend (its log files stay).', 'Aliases: del, rm.');
