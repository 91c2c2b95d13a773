import { usageError } from '../../errors.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { requireAppsForAll } from '../require-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';

const RESET_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const reset: Command = {
  options: RESET_OPTIONS,
  help: `
Synopsis
  tend reset <name|id|namespace|all>... [--json]

Options
  --json   print the apps as JSON

Exit codes
  0 done; 1 an unknown app, or no app at all for \`all\`; 2 bad usage; 3 daemon unreachable

Notes
  Sets each app's restart counter (the "restarts" column) and its run of unstable restarts
  back to zero, as \`pm2 reset\` does. The processes keep running.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, RESET_OPTIONS, 'reset');
    if (positionals.length === 0) throw usageError('`tend reset` needs a target', 'Example: tend reset api (or an id, or all)');
    const client = await ctx.client();
    const results: ProcessInfo[] = [];
    for (const target of positionals) results.push(...(await client.call('process.reset', { target })));
    requireAppsForAll(results.length, positionals, 'reset');
    ctx.out(values.json === true ? JSON.stringify(results) : renderProcessTable(results, ctx.isTTY));
    return 0;
  },
};
