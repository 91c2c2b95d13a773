import { usageError } from '../../errors.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const TRIGGER_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const trigger: Command = {
  options: TRIGGER_OPTIONS,
  help: `
Synopsis
  tend trigger <job|id|all>... [--json]

Options
  --json   print [{ id, name, outcome }] (started, queued or skipped)

Exit codes
  0 started or queued; 1 a run was skipped (its previous run still runs, or 4 at once), or an
  unknown app; 2 bad usage or not a scheduled job; 3 daemon unreachable

Notes
  Runs a scheduled job (\`schedule\` or \`schedule_interval\`) now, outside its schedule, as its
  own time would: when its previous run still runs, \`overlap: queue\` queues one run,
  \`overlap: skip\` skips it, and \`overlap: allow\` starts one alongside (skipped at 4 runs at
  once). \`tend start <job>\` also runs a job that is not running.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, TRIGGER_OPTIONS, 'trigger');
    if (positionals.length === 0) throw usageError('`tend trigger` needs a scheduled job', 'Example: tend trigger nightly-report');
    const client = await ctx.client();
    const results = [];
    for (const target of positionals) results.push(...(await client.call('job.trigger', { target })));
    if (values.json === true) ctx.out(JSON.stringify(results));
    else
      ctx.out(
        results.map((r) => `${r.name}: ${r.outcome === 'skipped' ? 'skipped (the previous run is still running)' : r.outcome}`).join('\n'),
      );
    return results.some((r) => r.outcome === 'skipped') ? 1 : 0;
  },
};
