import { usageError } from '../../errors.js';
import { requireAppsForAll } from '../require-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';

const SCALE_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const scale: Command = {
  options: SCALE_OPTIONS,
  help: `
Synopsis
  tend scale <app> <N|+N|-N> [--json]

Notes
  Sets how many instances of a cluster or socket-activated app run, live: new instances start,
  the highest-numbered ones stop gracefully; the others are not touched. The count is kept by
  \`tend save\`.

Exit codes
  0 scaled; 1 failed, an unknown app, or no app at all for \`all\`; 2 a count below 1, an app in
  fork mode, or bad usage; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    // `-1` is a value here, not an option.
    const own = argv.filter((a) => !/^[+-]\d+$/.test(a));
    const counts = argv.filter((a) => /^[+-]\d+$/.test(a));
    const { values, positionals } = parseFlags(own, SCALE_OPTIONS, 'scale');
    const all = [...positionals, ...counts];
    const [target, count] = [positionals[0], counts[0] ?? positionals[1]];
    if (target === undefined || count === undefined || all.length !== 2)
      throw usageError('`tend scale` needs an app and a count', 'Example: tend scale api 4 (or +2, -1)');
    if (!/^[+-]?\d+$/.test(count)) throw usageError(`\`${count}\` is not a count`, 'Give a whole number (4), or a change (+2, -1).');
    const relative = count.startsWith('+') || count.startsWith('-');
    const result = await (await ctx.client()).call('process.scale', { target, instances: Number(count), relative });
    requireAppsForAll(result.length, [target], 'scale');
    ctx.out(values.json === true ? JSON.stringify(result) : renderProcessTable(result, ctx.isTTY));
    return 0;
  },
};
