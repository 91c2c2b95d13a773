import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const FLUSH_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const flush: Command = {
  options: FLUSH_OPTIONS,
  help: `
Synopsis
  tend flush [name|id|all] [--json]

Notes
  Empties the apps' live log files and deletes their rotated archives, safely while they run
  (the daemon is the only writer: nothing written after the flush is lost). Default: all.

Exit codes
  0 ok; 1 unknown app; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, FLUSH_OPTIONS, 'flush');
    const r = await (await ctx.client()).call('logs.flush', { target: positionals[0] ?? 'all' });
    ctx.out(values.json === true ? JSON.stringify(r) : `flushed ${r.files} log file(s)`);
    return 0;
  },
};
