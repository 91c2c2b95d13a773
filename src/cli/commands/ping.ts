import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { warnProblems } from '../render/problems.js';

const PING_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const ping: Command = {
  options: PING_OPTIONS,
  help: `
Synopsis
  tend ping [--json]

Notes
  Starts the daemon if it is not running, then prints its pid, version and home. Problems
  (disk full, state recovered from a backup) are printed as warnings on stderr.

Exit codes
  0 the daemon answers; 3 it cannot be reached or started`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, PING_OPTIONS, 'ping');
    const info = await (await ctx.client()).call('daemon.info', {});
    warnProblems(ctx, info.problems);
    ctx.out(
      values.json === true
        ? JSON.stringify(info)
        : `pong: daemon ${info.pid}, tend ${info.version}, protocol ${info.protocol}, ${info.apps} app(s), home ${info.home}, log ${ctx.paths.daemonLog}`,
    );
    return 0;
  },
};
