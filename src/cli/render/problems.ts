import type { CliContext } from '../context.js';

/** The daemon's current problems (disk full, state recovered), one warning line each on stderr. */
export function warnProblems(ctx: CliContext, problems: readonly string[] | undefined): void {
  for (const p of problems ?? []) ctx.err(`tend: warning: ${p}`);
}
