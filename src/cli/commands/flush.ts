import { parseFlags, type CliContext, type Command } from '../context.js';

export const flush: Command = {
  help: `
Synopsis
  tend flush [name|id|all] [--json]

Notes
  Empties the apps' live log files and deletes their rotated archives, safely while they run
  (the daemon is the only writer: nothing written after the flush is lost). Default: all.

Exit codes
  0 ok; 1 unknown app; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'flush');
    const r = await (await ctx.client()).call('logs.flush', { target: positionals[0] ?? 'all' });
    ctx.out(values.json === true ? JSON.stringify(r) : `flushed ${r.files} log file(s)`);
    return 0;
  },
};
